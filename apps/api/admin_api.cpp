// admin_api.cpp - the routes of the dashboard's admin API and its event stream.
#include "api/admin_api.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include <drover/json.hpp>
#include <drover/dead_letter_queue.hpp>
#include <drover/queue_events.hpp>
#include <drover/shard_names.hpp>
#include <drover_app/clock.hpp>
#include <drover_app/job_snapshot.hpp>
#include <drover_app/queue_overview.hpp>
#include <drover_app/utf8.hpp>
#include <drover_app/queue_presence.hpp>

#include "api/admin_views.hpp"
#include "api/error_reply.hpp"
#include "api/http_error.hpp"
#include "api/routing/gatekeeper.hpp"
#include "api/routing/request_body.hpp"
#include "api/routing/static_asset.hpp"
#include "httpd/http_server.hpp"

namespace net = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;

namespace drover::api {

using app::now_ms;
using httpd::error_response;
using httpd::json_response;

namespace {

constexpr std::int64_t max_page_size = 200;
constexpr std::int64_t search_window = 1000;  // a search looks at this many newest jobs of the state
constexpr std::size_t max_cached_queues = 256;

const std::set<std::string, std::less<>> job_states{"waiting",   "active", "delayed", "prioritized",
                                                    "completed", "failed", "paused",  "waiting-children"};

const char* not_configured_page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drover dashboard: not configured</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css"></head>
<body><h1>The dashboard is not configured</h1>
<p>The dashboard can pause queues and remove jobs, so it needs credentials, and none are set.
Set one or both of these in the environment of <code>drover api</code> (or <code>drover dashboard</code>) and restart it:</p>
<pre>DASHBOARD_TOKEN=$(openssl rand -hex 24)          # bearer token, full access
DASHBOARD_USERS="alice:$(openssl rand -hex 12):admin,bob:$(openssl rand -hex 12):viewer"
                   # basic auth, passwords of 12 characters or more; viewer = read only</pre>
<p>Then open <code>/dashboard#token=&lt;token&gt;</code>, or <code>/dashboard</code> and sign in.
<code>make run</code> sets a random token and prints the address with it.</p>
</body></html>
)";

std::int64_t int_param(const boost::urls::url_view& url, std::string_view name, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi) {
  auto it = url.params().find(name);
  if (it == url.params().end() || !(*it).has_value || (*it).value.empty()) return fallback;
  std::int64_t v = 0;
  const auto& s = (*it).value;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) {
    throw http_error(http::status::bad_request,
                     fmt::format("'{}' must be an integer from {} to {}", std::string(name), lo, hi));
  }
  return v;
}

// As every route reads a query parameter: text, or a 400 (a search of %ff%fe was echoed
// into the reply's JSON and sent on to Redis).
std::string str_param(const boost::urls::url_view& url, std::string_view name) {
  auto it = url.params().find(name);
  if (it == url.params().end() || !(*it).has_value) return {};
  std::string value = (*it).value;
  if (!app::is_utf8(value) || value.find('\0') != std::string::npos) {
    throw http_error(http::status::bad_request, fmt::format("'{}' must be UTF-8 text without NUL", name));
  }
  return value;
}

std::string sse_event(std::string_view name, const json::value& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, drover::serialize_json(data));
}

}  // namespace

// The route handlers, with access to the admin_api's queues.
struct admin_api::routes {
  admin_api& self;
  const request& req;

  net::awaitable<response> queues() {
    auto list = co_await self.overview();
    json::object out;
    out["prefix"] = self.opts_.prefix;
    out["queues"] = std::move(list);
    out["at"] = now_ms();
    co_return json_response(req, http::status::ok, out);
  }

  net::awaitable<response> jobs(const std::string& name, const boost::urls::url_view& url) {
    std::string state = str_param(url, "state");
    if (state.empty()) state = "failed";
    if (state == "wait") state = "waiting";  // BullMQ's getJobs takes both names
    if (!job_states.contains(state)) {
      throw http_error(http::status::bad_request,
                       "'state' must be one of waiting, active, delayed, prioritized, "
                       "completed, failed, paused, waiting-children");
    }
    const auto page = int_param(url, "page", 1, 1, 1000000);
    const auto size = int_param(url, "pageSize", 20, 1, max_page_size);
    const std::string search = str_param(url, "search");
    auto lease = self.queue_for(name);
    auto& q = *lease;
    std::vector<std::string> types{state};
    json::array rows;
    std::int64_t total = 0;
    if (search.empty()) {
      auto counts = co_await q.get_job_counts(types);
      total = counts[state];
      const std::int64_t start = (page - 1) * size;
      // Rows need no data, result or stack trace, which may be megabytes a job.
      auto reading = q.get_job_summaries(types, start, start + size - 1);
      auto list = co_await std::move(reading);
      for (const auto& j : list) rows.push_back(job_row(j));
    } else {
      // The exact id first, then ids and names containing the text among the newest jobs.
      std::vector<json::object> found;
      std::string exact_id = search;
      auto exact = co_await q.get_job(exact_id);
      std::optional<job_state> exact_state;
      if (exact) exact_state = co_await q.get_job_state(exact_id);
      if (exact_state && exact_state == parse_job_state(state)) found.push_back(job_row(*exact));
      auto reading = q.get_job_summaries(types, 0, search_window - 1);
      auto list = co_await std::move(reading);
      const std::string needle = lower(search);
      for (const auto& j : list) {
        if (exact && j.id == exact->id) continue;
        if (job_matches(j, needle)) found.push_back(job_row(j));
      }
      total = static_cast<std::int64_t>(found.size());
      for (auto i = (page - 1) * size; i < total && i < page * size; ++i) rows.push_back(std::move(found[i]));
    }
    json::object out;
    out["queue"] = name;
    out["state"] = state;
    out["page"] = page;
    out["pageSize"] = size;
    out["total"] = total;
    out["search"] = search;
    if (!search.empty()) out["searchWindow"] = search_window;
    out["jobs"] = std::move(rows);
    co_return json_response(req, http::status::ok, out);
  }

  net::awaitable<response> job_detail(const std::string& name, const std::string& id) {
    auto lease = self.queue_for(name);
    auto& q = *lease;
    std::string job_id = id;
    auto read = app::read_job_snapshot(q, job_id);
    auto [state, j] = co_await std::move(read);
    if (!j) throw http_error(http::status::not_found, fmt::format("No job {} in queue {}", id, name));
    // The newest thousand lines: a job's last lines say how it ended (the oldest thousand
    // of 50,000 showed none of that).
    auto logs = co_await q.get_job_logs(job_id, -1000, -1);
    json::object out = j->to_json();
    out["queue"] = name;
    out["state"] = to_string(state);
    add_durations(out, *j);
    json::array lines;
    for (auto& l : logs.first) lines.emplace_back(l);
    out["logs"] = std::move(lines);
    out["logCount"] = logs.second;
    out["deadLetter"] = j->data.is_object() && j->data.get_object().contains("deadLetter");
    // Flows: its parent and its children (20 of each kind), when it has either.
    auto counts = co_await q.get_dependency_counts(job_id);
    if (j->parent_key || counts.processed + counts.unprocessed + counts.ignored + counts.failed > 0) {
      const dependencies_page page{0, 20};
      dependencies_query some{page, page, page, page};
      auto deps = co_await q.get_dependencies(job_id, some);
      json::object flow{{"counts", counts.to_json()}, {"dependencies", deps.to_json()}};
      flow["parentKey"] = j->parent_key ? json::value(*j->parent_key) : json::value(nullptr);
      out["flow"] = std::move(flow);
    }
    co_return json_response(req, http::status::ok, out);
  }

  net::awaitable<response> workers(const std::string& name) {
    auto lease = self.queue_for(name);
    auto& q = *lease;
    auto listing = app::listed_workers(q);  // named: GCC 12 and temporaries in co_await
    auto clients = co_await std::move(listing);
    auto statuses = co_await q.get_worker_statuses();
    json::array c, s;
    std::int64_t concurrency = 0, busy = 0;
    if (clients) {
      for (const auto& w : *clients) c.push_back(w.to_json());
    }
    for (const auto& w : statuses) {
      s.push_back(w.to_json());
      concurrency += w.concurrency;
      busy += w.busy;
    }
    json::object out;
    out["queue"] = name;
    // null when Redis's ACL refuses CLIENT LIST: the drover workers' reports still show.
    out["connections"] = clients ? json::value(std::move(c)) : json::value(nullptr);
    out["drover"] = std::move(s);
    out["concurrency"] = concurrency;
    out["busy"] = busy;
    co_return json_response(req, http::status::ok, out);
  }

  net::awaitable<response> metrics(const std::string& name, const boost::urls::url_view& url) {
    const auto points = int_param(url, "points", 60, 1, 24 * 60 * 14);
    auto lease = self.queue_for(name);
    auto& q = *lease;
    std::string completed_type = "completed";
    std::string failed_type = "failed";
    auto completed = co_await q.get_metrics(completed_type, 0, points - 1);
    auto failed = co_await q.get_metrics(failed_type, 0, points - 1);
    json::object out;
    out["queue"] = name;
    out["completed"] = completed.to_json();
    out["failed"] = failed.to_json();
    out["at"] = now_ms();
    co_return json_response(req, http::status::ok, out);
  }

  // POST /api/admin/queues/:q/<action>. On a sharded queue's name (with no plain queue of
  // that name) the action applies to every shard, as `drover` does with --shards.
  net::awaitable<response> queue_action(const std::string& name, const std::string& action) {
    static const std::set<std::string, std::less<>> actions{"pause",           "resume", "retry-failed",
                                                            "promote-delayed", "drain",  "clean"};
    if (!actions.contains(action)) throw http_error(http::status::not_found, "Unknown queue action '" + action + "'");
    // A bad name is refused before anything is read; not by making a queue of it, which a
    // cluster refuses for a sharded queue's logical name (it has no hash tag).
    if (name.empty() || name.size() > 200 || name.find(':') != std::string::npos) {
      throw http_error(http::status::bad_request, "Bad queue name");
    }
    auto body = json_object_body(req, body_presence::optional);
    // A value of the wrong type is refused, not read as the default: {"state": true}
    // cleaned completed jobs, {"delayed": "yes"} drained without them (an outside review).
    const auto* d = body.if_contains("delayed");
    if (d && !d->is_null() && !d->is_bool()) throw http_error(http::status::bad_request, "'delayed' must be a boolean");
    const bool delayed = d && d->is_bool() && d->get_bool();
    std::string state = "completed";
    std::int64_t grace = 0, limit = 0;
    if (action == "clean") {
      if (const auto* s = body.if_contains("state"); s && !s->is_null()) {
        if (!s->is_string()) throw http_error(http::status::bad_request, "'state' must be a string");
        state = std::string(s->get_string());
      }
      if (state == "waiting") state = "wait";
      static const std::set<std::string, std::less<>> cleanable{"completed", "failed", "delayed",    "wait",
                                                                "active",    "paused", "prioritized"};
      if (!cleanable.contains(state)) {
        throw http_error(http::status::bad_request,
                         "'state' must be completed, failed, delayed, waiting, active, paused or prioritized");
      }
      if (const auto* g = body.if_contains("graceMs"); g && !g->is_null()) {
        if (!g->is_int64() || g->get_int64() < 0) throw http_error(http::status::bad_request, "'graceMs' must be >= 0");
        grace = g->get_int64();
      }
      if (const auto* l = body.if_contains("limit"); l && !l->is_null()) {
        if (!l->is_int64() || l->get_int64() < 0) throw http_error(http::status::bad_request, "'limit' must be >= 0");
        limit = l->get_int64();
      }
    }
    auto targets = co_await self.action_targets(name);
    std::int64_t removed = 0;
    for (const auto& target : targets) {
      // A queue of its own, closed when the action ends: the cached ones keep the reads'
      // timeout.
      queue q(self.ex_, target, self.action_opts_);
      if (action == "pause") {
        co_await q.pause();
      } else if (action == "resume") {
        co_await q.resume();
      } else if (action == "retry-failed") {
        std::string failed = "failed";
        co_await q.retry_jobs(failed);
      } else if (action == "promote-delayed") {
        co_await q.promote_jobs();
      } else if (action == "drain") {
        co_await q.drain(delayed);
      } else {
        std::chrono::milliseconds grace_ms(grace);
        auto ids = co_await q.clean(grace_ms, limit, state);
        removed += static_cast<std::int64_t>(ids.size());
      }
    }
    self.overview_changed();
    json::object out;
    out["queue"] = name;
    out["action"] = action;
    if (targets.size() != 1 || targets.front() != name) out["shards"] = json::array(targets.begin(), targets.end());
    if (action == "clean") out["removed"] = removed;
    out["ok"] = true;
    co_return json_response(req, http::status::ok, out);
  }

  // POST /api/admin/queues/:q/jobs/:id/<action>, DELETE /api/admin/queues/:q/jobs/:id
  net::awaitable<response> job_action(const std::string& name, const std::string& id, const std::string& action) {
    auto lease = self.queue_for(name);
    auto& q = *lease;
    std::string job_id = id;
    json::object out;
    out["queue"] = name;
    out["jobId"] = id;
    out["action"] = action;
    if (action == "requeue") {
      // A dead-letter entry goes back to the queue it came from.
      dead_letter_queue dlq(self.ex_, name, self.opts_);
      std::optional<job> added;
      std::exception_ptr failure;
      // job_not_found becomes a 404 naming the entry (error_reply.cpp).
      try {
        added = co_await dlq.requeue(job_id);
      } catch (...) {
        failure = std::current_exception();
      }
      dlq.close();
      if (failure) std::rethrow_exception(failure);
      out["newJobId"] = added->id;
    } else {
      auto existing = co_await q.get_job(job_id);
      if (!existing) throw http_error(http::status::not_found, fmt::format("No job {} in queue {}", id, name));
      if (action == "retry") {
        auto state = co_await q.get_job_state(job_id);
        if (state != job_state::failed && state != job_state::completed) {
          throw http_error(http::status::conflict,
                           fmt::format("Job {} is {}, only failed or completed jobs retry", id, to_string(state)));
        }
        co_await q.retry_job(job_id, to_string(state));
      } else if (action == "promote") {
        co_await q.promote(job_id);
      } else if (action == "cancel") {
        std::string reason = "cancelled from the dashboard";
        auto outcome = co_await q.cancel(job_id, reason);
        // As the chat API's cancel: a job that ended (before or after the read above) is
        // not cancelled, and saying "ok" would tell the operator it was.
        if (outcome == cancel_outcome::already_finished) {
          throw http_error(http::status::conflict, fmt::format("Job {} already finished", id));
        }
        if (outcome == cancel_outcome::not_found) {
          throw http_error(http::status::not_found, fmt::format("No job {} in queue {}", id, name));
        }
        out["outcome"] = to_string(outcome);
      } else if (action == "remove") {
        const bool removed = co_await q.remove(job_id);
        if (!removed) {
          throw http_error(http::status::conflict, fmt::format("Job {} is being processed; cancel it instead", id));
        }
      } else {
        throw http_error(http::status::not_found, "Unknown job action '" + action + "'");
      }
    }
    self.overview_changed();
    out["ok"] = true;
    co_return json_response(req, http::status::ok, out);
  }
};

namespace {

// A queue action may run one long script (BullMQ's drain removes every waiting job in one
// call): it gets longer than a read before the API gives up on Redis.
queue_options for_actions(queue_options opts) {
  opts.redis.command_timeout = std::max(opts.redis.command_timeout, admin_api::action_timeout);
  return opts;
}

}  // namespace

admin_api::admin_api(net::any_io_executor ex, queue_options opts, gatekeeper& gate,
                     std::shared_ptr<app::queue_discovery> discovery)
    : ex_(ex),
      opts_(std::move(opts)),
      action_opts_(for_actions(opts_)),
      gate_(gate),
      discovery_(std::move(discovery)),
      overview_flight_(ex) {}

admin_api::~admin_api() { close(); }

void admin_api::close() {
  closed_ = true;
  for (auto& [name, q] : queues_) q->close();
}

bool admin_api::streams(const request& req) {
  auto target = std::string_view(req.target());
  return req.method() == http::verb::get && target.substr(0, target.find('?')) == "/api/admin/events";
}

std::shared_ptr<queue> admin_api::queue_for(const std::string& name) {
  auto it = queues_.find(name);
  if (it != queues_.end()) return it->second;
  if (name.empty() || name.size() > 200) throw http_error(http::status::bad_request, "Bad queue name");
  // Room for every queue the last overview found, so that the overview never evicts what
  // it reads next, and as many more for names asked for that are no queue (yet).
  if (queues_.size() >= discovered_queues_ + max_cached_queues) {
    // Only the queues no request holds; a queue leaves when its last holder does.
    std::erase_if(queues_, [](const auto& entry) { return entry.second.use_count() == 1; });
  }
  auto q = std::make_shared<queue>(ex_, name, opts_);  // throws invalid_argument for ':' in names
  queues_.emplace(name, q);
  return q;
}

namespace {

// The shards of the sharded queue `name` when no plain queue has that name; none when
// `names` hold neither.
std::optional<std::vector<std::string>> targets_in(const std::vector<std::string>& names, const std::string& name) {
  auto grouped = group_shards(names);
  if (std::find(grouped.plain.begin(), grouped.plain.end(), name) != grouped.plain.end()) {
    return std::vector<std::string>{name};
  }
  for (auto& sharded : grouped.sharded) {
    if (sharded.name == name) return std::move(sharded.shards);
  }
  return std::nullopt;
}

}  // namespace

net::awaitable<std::vector<std::string>> admin_api::action_targets(const std::string& name) {
  // A fresh scan: an action is rare, and a sharded queue's shards change with its count.
  auto names = co_await discovery_->rescan();
  if (auto targets = targets_in(names, name)) co_return std::move(*targets);
  // BullMQ's pause writes the queue's meta: acting on a misspelt name made a queue that
  // showed in the overview, paused. Asked of the queue's own keys, not the scan, which
  // leaves out a cluster master that does not answer; when they cannot be read the
  // action goes on and meets the same failure.
  bool unknown = false;
  try {
    queue q(ex_, name, action_opts_);
    auto asking = app::queue_looks_unknown(q);
    unknown = co_await std::move(asking);
  } catch (const drover::error&) {
  }
  if (unknown)
    throw http_error(http::status::not_found, fmt::format("No queue '{}' under prefix '{}'", name, opts_.prefix));
  co_return std::vector<std::string>{name};
}

void admin_api::overview_changed() {
  overview_at_ = {};
  ++overview_generation_;
}

net::awaitable<json::array> admin_api::overview() {
  if (std::chrono::steady_clock::now() - overview_at_ < std::chrono::milliseconds(900)) co_return overview_cache_;
  const auto asked = overview_generation_;
  for (;;) {
    auto read = [this] { return read_overview(); };
    auto result = co_await overview_flight_.run(std::move(read));
    // A read begun before an action the caller may have seen does not show it.
    if (result.second >= asked) co_return std::move(result.first);
  }
}

net::awaitable<std::pair<json::array, std::uint64_t>> admin_api::read_overview() {
  const auto generation = overview_generation_;
  auto names = co_await discovery_->names();
  discovered_queues_ = names.size();
  std::vector<app::queue_overview> rows;
  for (const auto& name : names) {
    auto lease = queue_for(name);
    auto row = co_await app::read_queue_overview(*lease);
    rows.push_back(std::move(row));
  }
  json::array list;
  for (const auto& row : app::group_sharded_rows(std::move(rows))) {
    auto o = row.to_json();
    // The logical row of a sharded queue is no queue of its own (its shards' rows are).
    o["deadLetter"] = row.shards.empty() && row.name.ends_with("-dlq");
    list.push_back(std::move(o));
  }
  if (generation == overview_generation_) {
    overview_cache_ = list;
    overview_at_ = std::chrono::steady_clock::now();
  }
  co_return std::make_pair(std::move(list), generation);
}

void admin_api::add_routes(route_table& table) {
  using v = http::verb;
  const auto page = [this](route_request& r) -> net::awaitable<response> {
    if (!gate_.dashboard().configured())
      co_return html_page(r.req, http::status::unauthorized, not_configured_page, page_policy::strict);
    co_return static_asset(r.req, "dashboard.html", page_policy::strict);
  };
  table.add(v::get, "/dashboard", route_access::open, page);
  table.add(v::get, "/dashboard/", route_access::open, page);
  table.add(v::get, "/dashboard/assets/:name", route_access::open,
            [this](route_request& r) -> net::awaitable<response> {
              const auto& name = r.param("name");
              if (name != "dashboard.js" && name != "dashboard.css")
                throw http_error(http::status::not_found, "Not found");
              if (!gate_.dashboard().configured())
                throw http_error(http::status::not_found, "Not found: the dashboard is off");
              co_return static_asset(r.req, name, page_policy::strict);
            });
  // GET is the event stream, which stream_events takes over before the table is asked;
  // this entry answers its HEAD and gives other methods 405 with Allow, as elsewhere.
  table.add(v::get, "/api/admin/events", route_access::operator_read, [](route_request& r) -> net::awaitable<response> {
    response res{http::status::ok, r.req.version()};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(r.req.keep_alive());
    co_return res;
  });
  table.add(v::get, "/api/admin/session", route_access::operator_read,
            [this](route_request& r) -> net::awaitable<response> {
              json::object out;
              out["user"] = r.who.user;
              out["role"] = r.who.admin ? "admin" : "viewer";
              out["prefix"] = opts_.prefix;
              co_return json_response(r.req, http::status::ok, out);
            });
  table.add(v::get, "/api/admin/queues", route_access::operator_read,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.queues();
            });
  table.add(v::get, "/api/admin/queues/:queue/jobs", route_access::operator_read,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.jobs(r.param("queue"), r.url);
            });
  table.add(v::get, "/api/admin/queues/:queue/workers", route_access::operator_read,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.workers(r.param("queue"));
            });
  table.add(v::get, "/api/admin/queues/:queue/metrics", route_access::operator_read,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.metrics(r.param("queue"), r.url);
            });
  table.add(v::post, "/api/admin/queues/:queue/:action", route_access::operator_act,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.queue_action(r.param("queue"), r.param("action"));
            });
  table.add(v::get, "/api/admin/queues/:queue/jobs/:jobId", route_access::operator_read,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.job_detail(r.param("queue"), r.param("jobId"));
            });
  table.add(v::delete_, "/api/admin/queues/:queue/jobs/:jobId", route_access::operator_act,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              std::string action = "remove";
              co_return co_await h.job_action(r.param("queue"), r.param("jobId"), action);
            });
  table.add(v::post, "/api/admin/queues/:queue/jobs/:jobId/:action", route_access::operator_act,
            [this](route_request& r) -> net::awaitable<response> {
              routes h{*this, r.req};
              co_return co_await h.job_action(r.param("queue"), r.param("jobId"), r.param("action"));
            });
}

net::awaitable<void> admin_api::stream_events(boost::beast::tcp_stream stream, request req,
                                              std::string client_address) {
  boost::system::error_code ec;
  const auto started = std::chrono::steady_clock::now();
  const auto method = req.method();
  std::optional<response> refusal;
  try {
    gate_.admit_operator(req, false, client_address);
  } catch (const http_error& e) {
    refusal = error_response(req, e.status(), e.what());
    for (const auto& [name, value] : e.headers()) refusal->set(name, value);
  }
  if (refusal) {
    auto& res = *refusal;
    res.keep_alive(false);
    stream.expires_after(std::chrono::seconds(10));
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    if (stream_stats_)
      stream_stats_->observe(method, "/api/admin/events", res.result_int(), std::chrono::steady_clock::now() - started,
                             true);
    co_return;
  }
  std::string name;
  if (auto url = boost::urls::parse_origin_form(req.target())) name = str_param(*url, "queue");

  // The reply has no length: the stream ends when the connection does.
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 2000\n\n";
  stream.expires_after(std::chrono::seconds(10));
  co_await net::async_write(stream, net::buffer(head), net::redirect_error(net::use_awaitable, ec));

  std::unique_ptr<queue_events> events;
  if (!name.empty() && name.find(':') == std::string::npos) {
    queue_events_options eo;
    eo.prefix = opts_.prefix;
    eo.redis = opts_.redis;
    eo.block = std::chrono::milliseconds(1000);
    try {
      events = std::make_unique<queue_events>(ex_, name, eo);
    } catch (const std::exception&) {
      // Not a queue name: the stream carries the counts alone.
    }
  }
  net::steady_timer timer(ex_);
  auto next_counts = std::chrono::steady_clock::now();
  while (!ec && !closed_) {
    std::string out;
    bool failed = false;
    if (std::chrono::steady_clock::now() >= next_counts) {
      next_counts = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      try {
        auto list = co_await overview();
        json::object o;
        o["queues"] = std::move(list);
        o["at"] = now_ms();
        out += sse_event("counts", o);
      } catch (const std::exception& e) {
        json::object o;
        o["error"] = queue_unavailable_text(e);  // a refused login named, not "did not answer" (an ACL review)
        out += sse_event("unavailable", o);
        failed = true;
      }
    }
    // The counts go out at once, before waiting for job events.
    if (!out.empty()) {
      stream.expires_after(std::chrono::seconds(10));
      co_await net::async_write(stream, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
      out.clear();
      if (ec) break;
    }
    if (events && !failed) {
      try {
        auto batch = co_await events->next();
        for (const auto& e : batch) {
          auto o = e.to_json();
          o["queue"] = name;
          out += sse_event("job", o);
        }
      } catch (const std::exception&) {
        failed = true;
      }
    }
    if (!out.empty()) {
      stream.expires_after(std::chrono::seconds(10));
      co_await net::async_write(stream, net::buffer(out), net::redirect_error(net::use_awaitable, ec));
    }
    if (!events || failed) {
      timer.expires_at(next_counts);
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      ec = {};
    }
  }
  if (events) events->close();
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  if (stream_stats_) {
    stream_stats_->observe(method, "/api/admin/events", 200, std::chrono::steady_clock::now() - started, true);
  }
}

}  // namespace drover::api
