// queue_schedulers.cpp - a queue's job schedulers: upsert, read, list, count, remove.
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/job_scheduler.hpp"
#include "core/queue_impl.hpp"
#include "core/scripts/add_job_scheduler.hpp"
#include "core/scripts/get_job_scheduler.hpp"
#include "core/scripts/remove_job_scheduler.hpp"
#include "drover/error.hpp"
#include "drover/json.hpp"
#include "drover/queue.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover {

namespace {

std::optional<std::int64_t> parse_int(const std::string* s) {
  if (!s || s->empty()) return std::nullopt;
  try {
    return std::stoll(*s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Stored (compressed) option names back to the public ones, as Node's optsFromJSON does.
json::object public_opts(const json::object& stored) {
  static constexpr std::pair<const char*, const char*> names[] = {{"de", "deduplication"},
                                                                  {"fpof", "failParentOnFailure"},
                                                                  {"cpof", "continueParentOnFailure"},
                                                                  {"idof", "ignoreDependencyOnFailure"},
                                                                  {"kl", "keepLogs"},
                                                                  {"rdof", "removeDependencyOnFailure"}};
  json::object out;
  for (const auto& kv : stored) {
    std::string_view k = kv.key();
    if (k == "tm" || k == "omc") {
      auto& t = out["telemetry"];
      if (!t.is_object()) t = json::object();
      t.as_object()[k == "tm" ? "metadata" : "omitContext"] = kv.value();
      continue;
    }
    for (const auto& [short_name, long_name] : names) {
      if (k == short_name) k = long_name;
    }
    out[k] = kv.value();
  }
  return out;
}

// The scheduler hash (field, value, ...) as Node's transformSchedulerData reads it.
std::optional<job_scheduler_info> to_info(std::string key, const std::vector<redis::reply>& fields,
                                          std::optional<std::int64_t> next) {
  if (fields.empty()) return std::nullopt;
  std::map<std::string, std::string> h;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) h[fields[i].as_string()] = fields[i + 1].as_string();
  auto get = [&](const char* f) -> const std::string* {
    auto it = h.find(f);
    return it == h.end() || it->second.empty() ? nullptr : &it->second;
  };
  job_scheduler_info info;
  info.key = std::move(key);
  info.name = get("name") ? *get("name") : std::string();
  info.next = next;
  info.iteration_count = parse_int(get("ic"));
  info.limit = parse_int(get("limit"));
  info.start_date = parse_int(get("startDate"));
  info.end_date = parse_int(get("endDate"));
  info.every = parse_int(get("every"));
  info.offset = parse_int(get("offset"));
  if (auto* tz = get("tz")) info.tz = *tz;
  if (auto* p = get("pattern")) info.pattern = *p;
  if (auto* d = get("data")) {
    boost::system::error_code ec;
    auto v = drover::parse_json(*d, ec);
    info.template_data = ec ? json::value(*d) : v;
  }
  if (auto* o = get("opts")) {
    boost::system::error_code ec;
    auto v = drover::parse_json(*o, ec);
    if (!ec && v.is_object()) info.template_opts = public_opts(v.get_object());
  }
  return info;
}

[[noreturn]] void legacy_error(const std::string& key) {
  throw error(errc::invalid_argument,
              fmt::format("Legacy repeatable job metadata is not supported (key: \"{}\"); migrate legacy repeatable "
                          "jobs to job schedulers, as BullMQ 6 requires",
                          key));
}

}  // namespace

net::awaitable<std::optional<job>> queue::upsert_job_scheduler(std::string id, repeat_options repeat,
                                                               job_template tmpl) {
  if (id.empty()) throw error(errc::invalid_argument, "a job scheduler needs an id");
  repeat.validate();
  if (tmpl.opts.job_id) throw error(errc::invalid_argument, "a job scheduler names its jobs itself; drop jobId");
  if (tmpl.opts.delay) throw error(errc::invalid_argument, "a job scheduler sets the delay itself; drop delay");
  tmpl.opts.validate();
  if (repeat.pattern) detail::cron_pattern_check(*repeat.pattern, repeat.tz.value_or(""));

  detail::scheduler_request req;
  req.id = id;
  req.repeat = repeat.to_json();
  req.immediately = repeat.immediately;
  req.name = tmpl.name.value_or(id);
  req.data = drover::serialize_json(tmpl.data);
  req.opts = tmpl.opts.to_stored();
  if (!tmpl.opts.attempts) req.opts.erase("attempts");  // Node stores only what was given

  co_await detail::write_version_once(*impl_);
  auto plan = detail::plan_next_iteration(req, detail::now_ms(), 0);
  if (!plan) co_return std::nullopt;
  auto add = detail::scripts::add_job_scheduler::of(impl_->keys, req, *plan);
  auto [job_id, delay] = co_await detail::scripts::run(*impl_->conn, std::move(add));

  job j;
  j.id = std::move(job_id);
  j.name = req.name;
  j.data = std::move(tmpl.data);
  plan->job_opts["jobId"] = j.id;
  plan->job_opts["delay"] = delay;
  j.opts = job_options::from_stored(plan->job_opts);
  j.timestamp = plan->job_opts.at("timestamp").as_int64();
  j.delay = delay;
  j.priority = j.opts.priority.value_or(0);
  j.repeat_job_key = id;
  co_return j;
}

net::awaitable<std::optional<job_scheduler_info>> queue::get_job_scheduler(std::string id) {
  auto call = detail::scripts::get_job_scheduler::of(impl_->keys, id);
  auto r = co_await detail::scripts::run(*impl_->conn, std::move(call));
  if (!r) {
    if (detail::has_legacy_repeat_key_shape(id)) {
      redis::command zscore{"ZSCORE", impl_->keys.repeat, id};
      auto s = co_await impl_->conn->exec(std::move(zscore));
      if (!s.is_nil()) legacy_error(id);
    }
    co_return std::nullopt;
  }
  auto next = parse_int(&r->next);
  co_return to_info(std::move(id), r->fields_and_values, next);
}

net::awaitable<std::vector<job_scheduler_info>> queue::get_job_schedulers(std::int64_t start, std::int64_t end,
                                                                          bool asc) {
  const auto& k = impl_->keys;
  redis::command range{asc ? "ZRANGE" : "ZREVRANGE", k.repeat};
  range.push(start).push(end).push("WITHSCORES");
  auto r = co_await impl_->conn->exec(std::move(range));
  redis::expect_no_error(r, "ZRANGE " + k.repeat);
  std::vector<redis::command> reads;
  std::vector<std::pair<std::string, std::int64_t>> entries;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    auto key = r.elements[i].as_string();
    entries.emplace_back(key, parse_int(&r.elements[i + 1].str).value_or(0));
    reads.push_back(redis::command{"HGETALL", k.key("repeat:" + key)});
  }
  std::vector<job_scheduler_info> out;
  if (reads.empty()) co_return out;
  auto hashes = co_await impl_->conn->exec(std::move(reads));
  std::vector<std::string> dangling;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (auto info = to_info(entries[i].first, hashes[i].elements, entries[i].second)) {
      out.push_back(std::move(*info));
    } else if (detail::has_legacy_repeat_key_shape(entries[i].first)) {
      legacy_error(entries[i].first);
    } else {
      dangling.push_back(entries[i].first);
    }
  }
  // An entry without its hash is debris; Node's getJobSchedulers removes it too.
  for (auto& key : dangling) co_await remove_job_scheduler(std::move(key));
  co_return out;
}

net::awaitable<std::int64_t> queue::get_job_schedulers_count() {
  redis::command zcard{"ZCARD", impl_->keys.repeat};
  auto r = co_await impl_->conn->exec(std::move(zcard));
  co_return r.as_int().value_or(0);
}

net::awaitable<bool> queue::remove_job_scheduler(std::string id) {
  auto call = detail::scripts::remove_job_scheduler::of(impl_->keys, std::move(id));
  co_return co_await detail::scripts::run(*impl_->conn, std::move(call));
}

}  // namespace drover
