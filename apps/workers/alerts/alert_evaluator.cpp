// alert_evaluator.cpp - reading the rules' conditions, the incidents' lifecycle, and
// their notifications.
#include "workers/alerts/alert_evaluator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <drover/json.hpp>
#include <drover_app/alert_state.hpp>
#include <drover_app/clock.hpp>

#include "workers/alerts/spoken_duration.hpp"
#include "workers/delivery_policy.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace drover::workers {

struct alert_evaluator::run_state {
  explicit run_state(net::any_io_executor ex) : timer(ex) {}
  net::steady_timer timer;
  bool stopped = false;
};

namespace {

// A rule name as part of a job id: letters and digits, the rest '-'.
std::string slug(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}

// An incident as save() stored it; its id made from `rule` and its start when it has none.
alert_evaluator::incident stored_incident(const json::object& o, std::string_view rule) {
  alert_evaluator::incident inc;
  if (auto* id = o.if_contains("id"); id && id->is_string()) inc.id = std::string(id->get_string());
  if (auto* since = o.if_contains("since"); since && since->is_int64()) inc.since = since->get_int64();
  if (auto* m = o.if_contains("message"); m && m->is_string()) inc.message = std::string(m->get_string());
  // Its value with its message (a taken-over incident read "value": 0 beside "25%").
  if (auto* v = o.if_contains("value"); v && v->is_number()) inc.value = v->to_number<double>();
  if (inc.id.empty()) inc.id = fmt::format("{}-{}", slug(rule), inc.since);
  return inc;
}

}  // namespace

alert_evaluator::alert_evaluator(net::any_io_executor ex, alert_settings settings, queue_options qo,
                                 app::queue_shards shards, app::app_queue& webhooks, std::string owner)
    : ex_(ex),
      settings_(std::move(settings)),
      qo_(std::move(qo)),
      webhooks_(webhooks),
      owner_(std::move(owner)),
      redis_(ex, qo_.redis),
      states_(settings_.rules.size()) {
  for (std::size_t i = 0; i < states_.size(); ++i) states_[i].queues = shards.queues_of(settings_.rules[i].queue);
}

alert_evaluator::~alert_evaluator() { stop(); }

queue& alert_evaluator::queue_for(const std::string& name) {
  auto& slot = queues_[name];
  if (!slot) slot = std::make_unique<queue>(ex_, name, qo_);
  return *slot;
}

void alert_evaluator::start() {
  if (settings_.rules.empty()) return;
  run_ = std::make_shared<run_state>(ex_);
  auto on_end = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("alerts: evaluator stopped: {}", ex.what());
    }
  };
  // The stalls of the longest window before this start are read back from the events
  // stream: a Workers app that restarted (a deploy, a crash loop) would otherwise resolve
  // a firing stalled alert as soon as it took over, its memory of the stalls empty.
  std::chrono::milliseconds longest_window{0};
  for (const auto& r : settings_.rules) {
    if (r.kind == alert_kind::stalled) longest_window = std::max(longest_window, r.window);
  }
  const auto read_from = fmt::format("{}-0", std::max<std::int64_t>(0, app::now_ms() - longest_window.count()));
  for (std::size_t i = 0; i < settings_.rules.size(); ++i) {
    if (settings_.rules[i].kind != alert_kind::stalled) continue;
    for (const auto& where : states_[i].queues) {
      const auto name = where.queue_name();
      if (stalls_.contains(name)) continue;
      queue_events_options o;
      o.prefix = qo_.prefix;
      o.redis = qo_.redis;
      o.block = std::chrono::seconds(5);
      o.last_event_id = read_from;
      auto w = std::make_shared<stall_watch>(ex_, where, o);
      w->started_ms = app::now_ms();
      stalls_[name] = w;
      net::co_spawn(ex_, watch_stalls(w, run_), on_end);
    }
  }
  net::co_spawn(ex_, loop(run_), on_end);
  spdlog::info("alerts: {} rule(s), evaluated every {} ms{}", settings_.rules.size(), settings_.interval.count(),
               settings_.webhook_url.empty() ? "; ALERT_WEBHOOK_URL unset: incidents are logged, not posted" : "");
}

void alert_evaluator::stop() {
  if (run_) {
    run_->stopped = true;
    run_->timer.cancel();
    run_.reset();
  }
  for (auto& [name, w] : stalls_) w->events.close();
  for (auto& [name, q] : queues_) q->close();
  redis_.close();
}

net::awaitable<void> alert_evaluator::watch_stalls(std::shared_ptr<stall_watch> w, std::shared_ptr<run_state> s) {
  net::steady_timer pause(ex_);
  while (!s->stopped) {
    std::vector<queue_event> events;
    bool failed = false;
    try {
      events = co_await w->events.next();
    } catch (const std::exception&) {
      failed = true;  // Redis away: the connectivity monitor says so; try again shortly
    }
    if (s->stopped) break;
    if (failed) {
      pause.expires_after(std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    for (const auto& e : events) {
      if (e.event != "stalled") continue;
      // A stall from before the start is dated by its entry's id (Redis's clock, in ms);
      // one seen live, by its arrival, so that the two clocks meet only at the start.
      const auto at_ms = std::strtoll(e.stream_id.c_str(), nullptr, 10);
      const auto ago =
          at_ms < w->started_ms ? std::chrono::milliseconds(app::now_ms() - at_ms) : std::chrono::milliseconds(0);
      w->seen.emplace_back(steady::now() - std::max(ago, std::chrono::milliseconds(0)), w->where.app_id(e.job_id));
    }
    w->primed = true;
  }
}

net::awaitable<void> alert_evaluator::loop(std::shared_ptr<run_state> s) {
  while (!s->stopped) {
    bool lead = false;
    try {
      lead = co_await hold_lock();
      if (lead && !leader_) {
        incidents_written_.reset();  // another evaluator may have written them since
        co_await adopt_stored_incidents();
      }
    } catch (const std::exception& e) {
      spdlog::debug("alerts: cannot take the evaluators' lock or read the open incidents: {}", e.what());
      // Not leading this round: without the stored incidents, the open ones would fire
      // again as new (a new process posted a second [FIRING] when its read of them
      // failed); the next round, holding the lock, reads them again.
      lead = false;
    }
    if (s->stopped) break;
    leader_ = lead;
    if (lead) {
      co_await evaluate();
      try {
        co_await save();
      } catch (const std::exception& e) {
        spdlog::debug("alerts: cannot store the incidents: {}", e.what());
      }
    }
    if (s->stopped) break;
    s->timer.expires_after(settings_.interval);
    boost::system::error_code ec;
    co_await s->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<bool> alert_evaluator::hold_lock() {
  redis_set_options o;
  o.ttl = std::max<std::chrono::milliseconds>(settings_.interval * 3, std::chrono::seconds(3));
  o.only_if_absent = true;
  auto key = app::alert_lock_key(qo_.prefix);
  if (co_await redis_.set(key, owner_, o)) co_return true;
  auto holder = co_await redis_.get(key);
  if (!holder || *holder != owner_) co_return false;
  o.only_if_absent = false;  // ours: renew it
  co_await redis_.set(key, owner_, o);
  co_return true;
}

net::awaitable<void> alert_evaluator::adopt_stored_incidents() {
  auto key = app::alert_incidents_key(qo_.prefix);
  auto text = co_await redis_.get(key);
  if (!text) {
    // Written by a release before the incidents key: the state holds the same JSON.
    auto state_key = app::alert_state_key(qo_.prefix);
    text = co_await redis_.get(state_key);
  }
  if (!text) co_return;
  boost::system::error_code ec;
  auto doc = drover::parse_json(*text, ec);
  if (ec || !doc.is_object()) co_return;
  auto* list = doc.get_object().if_contains("incidents");
  if (!list || !list->is_array()) co_return;
  for (const auto& v : list->get_array()) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    auto* rule = o.if_contains("rule");
    if (!rule || !rule->is_string()) continue;
    const bool configured = std::any_of(settings_.rules.begin(), settings_.rules.end(),
                                        [&](const alert_rule& r) { return r.name == rule->get_string(); });
    if (!configured) {
      // Its rule was removed from ALERT_RULES: nothing will ever resolve it but this.
      co_await resolve_removed(o);
      continue;
    }
    for (std::size_t i = 0; i < settings_.rules.size(); ++i) {
      if (settings_.rules[i].name != rule->get_string() || states_[i].open) continue;
      states_[i].open = stored_incident(o, settings_.rules[i].name);
    }
  }
}

net::awaitable<void> alert_evaluator::resolve_removed(const json::object& stored) {
  alert_rule r;
  if (auto* v = stored.if_contains("rule"); v && v->is_string()) r.name = std::string(v->get_string());
  if (auto* v = stored.if_contains("queue"); v && v->is_string()) r.queue = std::string(v->get_string());
  const auto inc = stored_incident(stored, r.name);
  auto lasted = spoken(std::chrono::milliseconds(app::now_ms() - inc.since));
  spdlog::info("alert resolved: {} (queue {}) after {}: its rule is no longer configured", r.name, r.queue, lasted);
  auto text =
      fmt::format("[RESOLVED] {} (queue {}) after {}: the rule was removed from ALERT_RULES", r.name, r.queue, lasted);
  co_await post(r, inc, false, std::move(text));
}

net::awaitable<void> alert_evaluator::evaluate() {
  for (std::size_t i = 0; i < settings_.rules.size(); ++i) {
    const auto& r = settings_.rules[i];
    auto& st = states_[i];
    reading now;
    try {
      now = co_await read(r, st);
    } catch (const std::exception& e) {
      spdlog::debug("alerts: rule '{}': cannot read queue {}: {}", r.name, r.queue, e.what());
      continue;  // no reading is no news: the incident stays as it is
    }
    if (now.breached && !st.open) {
      incident inc;
      inc.since = app::now_ms();
      inc.id = fmt::format("{}-{}", slug(r.name), inc.since);
      inc.message = now.detail;
      inc.value = now.value;
      spdlog::warn("alert firing: {} (queue {}): {}", r.name, r.queue, now.detail);
      st.open = inc;
      auto text = fmt::format("[FIRING] {} (queue {}): {}", r.name, r.queue, now.detail);
      co_await post(r, inc, true, std::move(text));
    } else if (now.breached) {
      st.open->message = now.detail;
      st.open->value = now.value;
    } else if (st.open && now.conclusive) {
      auto inc = *st.open;
      st.open.reset();
      auto lasted = spoken(std::chrono::milliseconds(app::now_ms() - inc.since));
      spdlog::info("alert resolved: {} (queue {}) after {}: {}", r.name, r.queue, lasted, now.detail);
      auto text = fmt::format("[RESOLVED] {} (queue {}) after {}: {}", r.name, r.queue, lasted, now.detail);
      co_await post(r, inc, false, std::move(text));
    }
  }
}

net::awaitable<void> alert_evaluator::post(const alert_rule& r, const incident& i, bool firing, std::string text) {
  if (settings_.webhook_url.empty()) co_return;
  json::object payload;
  payload["text"] = std::move(text);
  // No URL: ALERT_WEBHOOK_URL is a credential (a Slack hook's path is its token), and a
  // delivery's data is shown to the dashboard's viewers; the delivery worker knows it.
  json::object delivery;
  delivery["alert"] = true;
  delivery["payload"] = std::move(payload);
  job_options opts;
  opts.job_id = fmt::format("alert-{}-{}", i.id, firing ? "firing" : "resolved");
  use_delivery_policy(opts, webhook_receiver::configured);
  opts.remove_on_complete = 1000;
  json::value data = std::move(delivery);
  std::string name = firing ? "alert-firing" : "alert-resolved";
  try {
    co_await webhooks_.add(std::move(name), std::move(data), std::move(opts));
  } catch (const std::exception& e) {
    spdlog::error("alerts: rule '{}': cannot queue the {} message: {}", r.name, firing ? "firing" : "resolved",
                  e.what());
  }
}

net::awaitable<void> alert_evaluator::save() {
  json::array incidents;
  for (std::size_t i = 0; i < settings_.rules.size(); ++i) {
    const auto& st = states_[i];
    if (!st.open) continue;
    const auto& r = settings_.rules[i];
    json::object o;
    o["id"] = st.open->id;
    o["rule"] = r.name;
    o["type"] = to_string(r.kind);
    o["queue"] = r.queue;
    o["since"] = st.open->since;
    o["message"] = st.open->message;
    o["value"] = st.open->value;
    incidents.push_back(std::move(o));
  }
  json::object doc;
  doc["updatedAt"] = app::now_ms();
  doc["evaluator"] = owner_;
  doc["rules"] = settings_.rules.size();
  doc["incidents"] = std::move(incidents);
  redis_set_options o;
  o.ttl = std::max<std::chrono::milliseconds>(settings_.interval * 6, std::chrono::seconds(60));
  std::string ids;
  for (const auto& v : doc["incidents"].get_array()) ids.append(v.at("id").get_string()).push_back('\n');
  auto key = app::alert_state_key(qo_.prefix);
  auto text = drover::serialize_json(doc);
  // Adoption needs an incident's id, rule and start, which change only when an incident
  // opens or ends; the minute-long state key has the rest.
  const auto now = std::chrono::steady_clock::now();
  const bool incidents_changed = ids != incidents_written_ || now - incidents_written_at_ > std::chrono::hours(24);
  auto kept = incidents_changed ? text : std::string();
  co_await redis_.set(key, std::move(text), o);
  if (!incidents_changed) co_return;
  redis_set_options week;
  week.ttl = std::chrono::hours(24 * 7);
  auto incidents_key = app::alert_incidents_key(qo_.prefix);
  co_await redis_.set(incidents_key, std::move(kept), week);
  incidents_written_ = std::move(ids);
  incidents_written_at_ = now;
}

}  // namespace drover::workers
