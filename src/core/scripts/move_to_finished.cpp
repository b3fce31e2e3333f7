// move_to_finished.cpp - see move_to_finished.hpp.
#include "core/scripts/move_to_finished.hpp"

#include <algorithm>
#include <cmath>

#include "core/cancellation.hpp"
#include "core/msgpack.hpp"
#include "drover/error.hpp"

namespace json = boost::json;

namespace drover::detail::scripts {

std::string job_fields(std::initializer_list<std::string_view> fields_and_values) {
  msgpack_writer w;
  w.array(static_cast<std::uint32_t>(fields_and_values.size()));
  for (auto f : fields_and_values) w.str(f);
  return w.take();
}

namespace {

// A count no larger than Lua's integers hold exactly: the script hands it back to Redis
// (ZREVRANGE's start), and Redis writes a Lua number above 2^53 as "1e+18", which it then
// refuses as not an integer (BullMQ's own worker fails that way). Doubles count whole jobs.
std::int64_t job_count(const json::value& v) {
  constexpr std::int64_t most = std::int64_t{1} << 53;
  if (v.is_int64()) return std::min(v.get_int64(), most);
  if (v.is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v.get_uint64(), most));
  const double d = v.get_double();
  return std::isnan(d) ? -1 : static_cast<std::int64_t>(std::clamp(std::floor(d), -1.0, static_cast<double>(most)));
}

}  // namespace

json::object keep_jobs(const json::value& job_option, const json::value& worker_option) {
  const json::value& v = job_option.is_null() ? worker_option : job_option;
  if (v.is_bool()) return {{"count", v.get_bool() ? 0 : -1}};
  if (v.is_number()) return {{"count", job_count(v)}};  // Node's 2.5 or 1e300 too
  // Any other value by its truth, as BullMQ's getKeepJobs reads one: a non-empty string
  // (even "false") removes the job.
  if (v.is_string()) return {{"count", v.get_string().empty() ? -1 : 0}};
  if (v.is_object()) {
    json::object o = v.get_object();
    auto* count = o.if_contains("count");
    if (!count) {
      o["count"] = -1;  // the script reads count unconditionally
    } else if (count->is_number()) {
      *count = job_count(*count);
    }
    return o;
  }
  return {{"count", -1}};
}

namespace {

// moveToFinished's call followed by the entry's add: its keys after the 14 keys, its
// arguments after the 9 arguments; then the most entries kept.
void with_dead_letter(script_call& finish, script_call entry, std::int64_t kept) {
  if (finish.script != &lua::move_to_finished || finish.args[18] != "failed" ||
      entry.script != &lua::add_standard_job) {
    throw error(errc::invalid_argument, "a dead-letter entry goes with a failure, added as a standard job");
  }
  finish = composed_call(lua::move_to_finished_with_dead_letter)
               .call(std::move(finish))
               .call(std::move(entry))
               .arg(std::to_string(kept))
               .take();
}

}  // namespace

move_to_finished move_to_finished::of(const queue_keys& k, const job& j, std::string token, bool completed,
                                      std::string value, std::string fields, bool fetch_next,
                                      const worker_options& opts, std::int64_t now) {
  move_to_finished m{k.wait,
                     k.active,
                     k.prioritized,
                     k.events,
                     k.stalled,
                     k.limiter,
                     k.delayed,
                     k.paused,
                     k.meta,
                     k.pc,
                     completed ? k.completed : k.failed,
                     k.job(j.id),
                     k.key(completed ? "metrics:completed" : "metrics:failed"),
                     k.marker,
                     j.id,
                     now,
                     completed,
                     std::move(value),
                     fetch_next,
                     k.base(),
                     std::move(token),
                     completed ? keep_jobs(j.opts.remove_on_complete, opts.remove_on_complete)
                               : keep_jobs(j.opts.remove_on_fail, opts.remove_on_fail),
                     opts.limiter,
                     opts.lock_duration.count(),
                     j.opts.attempts.value_or(0),
                     opts.metrics_max_data_points,
                     opts.name,
                     std::move(fields),
                     false,
                     std::nullopt};
  return m;
}

script_call move_to_finished::pack() && {
  msgpack_writer o(128 + token.size() + worker_name.size());
  // "name" only when the worker has one: a fetched job gets it as processedBy, as
  // moveToActive gives it.
  o.map(6 + (limiter_opts ? 1 : 0) + (worker_name.empty() ? 0 : 1)).str("token").str(token);
  o.str("keepJobs").json(keep);
  if (limiter_opts) pack_limiter(o, *limiter_opts);
  o.str("lockDuration").integer(lock_duration_ms);
  o.str("attempts").integer(attempts);
  // moveToFinished collects metrics only when maxMetricsSize is not "".
  o.str("maxMetricsSize");
  if (max_metrics_size > 0) {
    o.integer(max_metrics_size);
  } else {
    o.str("");
  }
  if (!worker_name.empty()) o.str("name").str(worker_name);
  o.str("fpof").boolean(false);
  // The lean script is the guard too; whatever is not its common case (a failure
  // included) goes on to BullMQ's script inside the same call.
  const lua::script* script = unless_cancelled ? &lua::move_to_finished_lean : &lua::move_to_finished;
  // Moved in one by one: an initializer list would copy every string (its elements are const).
  script_call call{script, {}};
  auto& args = call.args;
  args.reserve(23);
  for (std::string* key : {&wait, &active, &prioritized, &events, &stalled, &limiter, &delayed, &paused, &meta, &pc,
                           &finished_set, &job_key, &metrics, &marker}) {
    args.push_back(std::move(*key));
  }
  args.push_back(job_id);
  args.push_back(std::to_string(timestamp));
  args.emplace_back(completed ? "returnvalue" : "failedReason");
  args.push_back(std::move(value));
  args.emplace_back(completed ? "completed" : "failed");
  args.push_back(flag(fetch_next));
  args.push_back(std::move(prefix));
  args.push_back(o.take());
  args.push_back(std::move(fields));
  if (dead_letter) with_dead_letter(call, std::move(*dead_letter), dead_letters_kept);
  return call;
}

move_to_finished::result move_to_finished::parse(redis::reply& r) const {
  result out;
  if (unless_cancelled && r.is_array() && r.elements.size() == 2 && r.elements[0].is_string() &&
      r.elements[0].str == cancel_field) {
    out.cancel_request = std::move(r.elements[1].str);
    return out;
  }
  if (!fetch_next) return out;
  // 0: nothing to fetch now (the script found no job and no delayed one).
  out.next = r.is_array() ? parse_fetch_reply(r) : fetched{};
  return out;
}

}  // namespace drover::detail::scripts
