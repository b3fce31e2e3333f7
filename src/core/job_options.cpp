// job_options.cpp - parsing, checking and storing job options with BullMQ's names.
#include "drover/job_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "drover/error.hpp"
#include "drover/json.hpp"
#include "core/js_number.hpp"
#include "core/keys.hpp"

namespace json = boost::json;

namespace drover {

namespace {

constexpr std::int64_t priority_limit = 2097151;  // 2^21 - 1, as BullMQ

[[noreturn]] void bad(std::string_view option, std::string_view why) {
  throw error(errc::invalid_argument, fmt::format("invalid job option '{}': {}", option, why));
}

std::int64_t need_integer(const json::value& v, std::string_view name, std::int64_t min = 0) {
  auto i = as_exact_integer(v);
  if (!i) bad(name, "expected an integer, got " + drover::serialize_json(v));
  if (*i < min) bad(name, fmt::format("must be at least {}, got {}", min, *i));
  return *i;
}

double need_number(const json::value& v, std::string_view name) {
  // No JSON number is NaN, but Boost's parser makes one of "0e7943" (0 times an infinite
  // power of ten), which the fuzzer found a delay cast to an integer from.
  if (v.is_double() && std::isnan(v.get_double())) bad(name, "expected a number, got one that reads as NaN");
  if (v.is_double()) return v.get_double();
  if (auto i = as_exact_integer(v)) return static_cast<double>(*i);
  bad(name, "expected a number, got " + drover::serialize_json(v));
}

bool need_bool(const json::value& v, std::string_view name) {
  if (!v.is_bool()) bad(name, "expected true or false, got " + drover::serialize_json(v));
  return v.get_bool();
}

backoff_options parse_backoff(const json::value& v, bool strict) {
  backoff_options b;
  if (auto i = as_exact_integer(v)) {  // a number means a fixed delay
    b.type = "fixed";
    b.delay = *i;
    if (strict && b.delay < 0) bad("backoff", "the delay must not be negative");
    return b;
  }
  if (!v.is_object()) bad("backoff", "expected a number of ms or {type, delay[, jitter]}");
  const auto& o = v.get_object();
  b.type_given = o.contains("type");
  b.delay_given = o.contains("delay");
  for (const auto& kv : o) {
    if (kv.key() == "type") {
      if (!kv.value().is_string()) bad("backoff.type", "expected \"fixed\" or \"exponential\"");
      b.type = std::string(kv.value().get_string());
    } else if (kv.key() == "delay") {
      b.delay = strict ? need_integer(kv.value(), "backoff.delay")
                       : as_loose_integer(kv.value(), [](double d) { return std::round(d); }).value_or(0);
    } else if (kv.key() == "jitter") {
      // Stored by Node, any value: its arithmetic takes numeric text as a number and
      // anything else as no jitter (`jitter > 0` is false).
      b.jitter = strict ? need_number(kv.value(), "backoff.jitter") : as_loose_number(kv.value());
    } else {
      b.other[kv.key()] = kv.value();
    }
  }
  // Fixed and exponential read no other field: one there is most likely a misspelt one.
  if (strict && !b.other.empty() && (b.type == "fixed" || b.type == "exponential")) {
    bad("backoff", fmt::format("unknown field '{}' for type '{}' (a custom type may carry its own fields)",
                               std::string_view(b.other.begin()->key()), b.type));
  }
  return b;
}

json::value backoff_json(const backoff_options& b) {
  json::object o;
  if (b.type_given) o["type"] = b.type;
  if (b.delay_given) o["delay"] = b.delay;
  if (b.jitter) o["jitter"] = *b.jitter;
  for (const auto& kv : b.other) o[kv.key()] = kv.value();
  return o;
}

void check_keep_jobs(const json::value& v, std::string_view name) {
  if (v.is_null() || v.is_bool()) return;
  if (as_exact_integer(v)) {
    need_integer(v, name);
    return;
  }
  if (!v.is_object()) bad(name, "expected true, false, a count, or {age, count, limit}");
  for (const auto& kv : v.get_object()) {
    if (kv.key() != "age" && kv.key() != "count" && kv.key() != "limit") {
      bad(name, fmt::format("unknown field '{}' (expected age, count, limit)", std::string_view(kv.key())));
    }
    const auto field = fmt::format("{}.{}", name, std::string_view(kv.key()));
    // An age is seconds, and BullMQ's script multiplies it by 1000: a fraction is fine.
    if (kv.key() == "age") {
      if (need_number(kv.value(), field) < 0) bad(field, "must be at least 0");
    } else {
      need_integer(kv.value(), field);
    }
  }
}

// BullMQ options that drover stores and passes on without acting on them yet.
constexpr std::array passthrough{"parent",
                                 "failParentOnFailure",
                                 "continueParentOnFailure",
                                 "ignoreDependencyOnFailure",
                                 "removeDependencyOnFailure",
                                 "repeat",
                                 "repeatJobKey",
                                 "prevMillis",
                                 "telemetry"};

// Node stores these under short names (optsAsJSON).
struct short_name {
  const char* name;
  const char* stored;
};
constexpr std::array short_names{
    short_name{"failParentOnFailure", "fpof"}, short_name{"continueParentOnFailure", "cpof"},
    short_name{"ignoreDependencyOnFailure", "idof"}, short_name{"removeDependencyOnFailure", "rdof"}};

}  // namespace

job_options job_options::from_json(const json::value& v) {
  job_options o;
  if (v.is_null()) return o;
  if (!v.is_object()) throw error(errc::invalid_argument, "job options must be a JSON object");
  for (const auto& kv : v.get_object()) {
    std::string_view k = kv.key();
    const auto& val = kv.value();
    if (k == "jobId") {
      if (val.is_string()) {
        // "" is no id, as Node's `jobId` is falsy: the counter gives one.
        if (!val.get_string().empty()) o.job_id = std::string(val.get_string());
      } else if (as_exact_integer(val)) {
        bad(k, "Custom Id cannot be integers");
      } else {
        bad(k, "expected a string");
      }
    } else if (k == "timestamp") {
      o.timestamp = need_integer(val, k);
    } else if (k == "delay") {
      // As Node adds it: a computed delay may have a fraction (4.35 * 100) or have passed
      // already (runAt - Date.now() < 0), and the job then waits for no time.
      const double ms = need_number(val, k);
      o.delay = static_cast<std::int64_t>(std::clamp(std::round(ms), 0.0, 9007199254740991.0));
    } else if (k == "priority") {
      if (val.is_double() && !as_exact_integer(val)) bad(k, "Priority should not be float");
      o.priority = need_integer(val, k);
    } else if (k == "lifo") {
      o.lifo = need_bool(val, k);
    } else if (k == "attempts") {
      o.attempts = need_integer(val, k);
    } else if (k == "backoff") {
      o.backoff = parse_backoff(val, true);
    } else if (k == "removeOnComplete") {
      check_keep_jobs(val, k);
      o.remove_on_complete = val;
    } else if (k == "removeOnFail") {
      check_keep_jobs(val, k);
      o.remove_on_fail = val;
    } else if (k == "stackTraceLimit") {
      o.stack_trace_limit = need_integer(val, k);
    } else if (k == "keepLogs") {
      o.keep_logs = need_integer(val, k);
    } else if (k == "sizeLimit") {
      o.size_limit = need_integer(val, k);
    } else if (k == "timeout") {
      o.timeout = need_integer(val, k, 1);
    } else if (k == "deduplication") {
      if (!val.is_object()) bad(k, "expected {id[, ttl]}");
      if (val.get_object().empty()) bad(k, "Deduplication id must be provided");
      o.deduplication = val.get_object();
    } else if (k == "minReplicas") {
      o.replication.min_replicas = need_integer(val, k);
    } else if (k == "replicationTimeout") {
      o.replication.timeout = std::chrono::milliseconds(need_integer(val, k, 1));
    } else if (k == "debounce") {
      bad(k, "Debounce option has been removed. Use deduplication option instead");
    } else if (std::find(passthrough.begin(), passthrough.end(), k) != passthrough.end()) {
      o.extra[k] = val;
    } else {
      bad(k, "unknown option");
    }
  }
  o.validate();
  return o;
}

namespace {

// Node's test, `${parseInt(id, 10)}` === id, on a JavaScript number (a double): only
// digits (and a leading '-') that print back the same. A snowflake id such as
// 1234567890123456789 prints back rounded and is a string id to Node; 10^20 prints back
// exactly and is refused.
bool node_reads_as_integer(const std::string& id) {
  const std::size_t digits_from = id.starts_with('-') ? 1 : 0;
  if (id.size() == digits_from || id.find_first_not_of("0123456789", digits_from) != std::string::npos) return false;
  double x = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), x);
  if (ec != std::errc() || p != id.data() + id.size()) return false;  // beyond a double: Infinity to Node
  return serialize_json(json::value(x)) == id;
}

}  // namespace

void job_options::validate() const {
  if (job_id) {
    const std::string& id = *job_id;
    if (id.empty()) bad("jobId", "must not be empty");
    // In Node's order: Queue.add checks "0" before the job checks integers.
    if (id == "0" || id.starts_with("0:")) bad("jobId", "JobId cannot be '0' or start with '0:'");
    if (node_reads_as_integer(id)) bad("jobId", "Custom Id cannot be integers");
    if (id.find(':') != std::string::npos && std::count(id.begin(), id.end(), ':') != 2) {
      bad("jobId", "Custom Id cannot contain :");
    }
    // The job's hash would be one of the queue's own keys: "limiter" stopped every
    // rate-limited worker for good, "meta" was answered as added and never stored (a
    // library review; Node's BullMQ takes both).
    if (detail::names_queue_key(id)) {
      bad("jobId", fmt::format("'{}' is the name of one of the queue's own keys; choose another id", id));
    }
  }
  if (priority && (*priority < 0 || *priority > priority_limit)) {
    bad("priority", fmt::format("Priority should be between 0 and {}", priority_limit));
  }
  if (delay && *delay < 0) bad("delay", "must not be negative");
  if (attempts && *attempts < 0) bad("attempts", "must not be negative");
  if (backoff) {
    if (backoff->delay < 0) bad("backoff.delay", "must not be negative");
    if (backoff->jitter && (*backoff->jitter < 0 || *backoff->jitter > 1)) {
      bad("backoff.jitter", "Jitter should be between 0 and 1");
    }
  }
  if (replication.min_replicas < 0) bad("minReplicas", "must not be negative");
  if (replication.timeout.count() < 1) {
    bad("replicationTimeout", "must be at least 1 ms (WAIT would take 0 to mean: wait forever)");
  }
  std::string together;
  for (const auto& s : short_names) {
    auto* v = extra.if_contains(s.name);
    if (v && v->is_bool() && v->get_bool()) together += together.empty() ? s.name : std::string(", ") + s.name;
  }
  if (together.find(',') != std::string::npos) {
    throw error(errc::invalid_argument, "The following options cannot be used together: " + together);
  }
  // A parent drover cannot read was dropped, and the "child" ran alone while its parent
  // completed without it (a Node user's review; Node refuses it too).
  if (const auto* p = extra.if_contains("parent")) {
    const auto* o = p->if_object();
    const auto* id = o ? o->if_contains("id") : nullptr;
    const auto* queue = o ? o->if_contains("queue") : nullptr;
    const bool id_ok = id && ((id->is_string() && !id->get_string().empty()) || as_exact_integer(*id));
    if (!id_ok || !queue || !queue->is_string() || queue->get_string().empty()) {
      bad("parent", "expected {\"id\": the parent job's id, \"queue\": its queue key \"<prefix>:<queue>\"}");
    }
  }
  if (!deduplication.empty()) {
    auto it = deduplication.find("id");
    if (it == deduplication.end() || !it->value().is_string() || it->value().get_string().empty()) {
      bad("deduplication", "Deduplication id must be provided");
    }
    if (extra.contains("parent")) bad("deduplication", "Deduplication and parent options cannot be used together");
  }
}

json::object job_options::to_stored() const {
  json::object o;
  // attempts first, as Node's Job puts it, the rest as a user would list them: the order
  // the keys reach the scripts decides where Lua's table holds them, and so the order of
  // the "opts" text cjson writes (Node keeps the caller's order after attempts).
  o["attempts"] = attempts.value_or(0);
  if (job_id) o["jobId"] = *job_id;
  if (timestamp) o["timestamp"] = *timestamp;
  if (delay) o["delay"] = *delay;
  if (priority) o["priority"] = *priority;
  if (lifo) o["lifo"] = *lifo;
  if (backoff) o["backoff"] = backoff_json(*backoff);
  if (!remove_on_complete.is_null()) o["removeOnComplete"] = remove_on_complete;
  if (!remove_on_fail.is_null()) o["removeOnFail"] = remove_on_fail;
  if (stack_trace_limit) o["stackTraceLimit"] = *stack_trace_limit;
  if (keep_logs) o["kl"] = *keep_logs;
  if (size_limit) o["sizeLimit"] = *size_limit;
  if (timeout) o["timeout"] = *timeout;
  if (!deduplication.empty()) o["de"] = deduplication;
  for (const auto& kv : extra) {
    std::string_view key = kv.key();
    for (const auto& s : short_names) {
      if (key == s.name) key = s.stored;
    }
    if (key == "telemetry" && kv.value().is_object()) {
      const auto& t = kv.value().get_object();
      if (auto* m = t.if_contains("metadata")) o["tm"] = *m;
      if (auto* c = t.if_contains("omitContext")) o["omc"] = *c;
      continue;
    }
    o[key] = kv.value();
  }
  return o;
}

json::object job_options::to_json() const {
  json::object o = to_stored();
  // The value is moved out before the new key goes in: inserting may reallocate the
  // object, and a pointer into it would then read freed memory (issue 13, fuzzing).
  auto rename = [&o](std::string_view from, std::string_view to) {
    auto* v = o.if_contains(from);
    if (!v) return;
    json::value moved = std::move(*v);
    o.erase(from);
    o[to] = std::move(moved);
  };
  rename("kl", "keepLogs");
  rename("de", "deduplication");
  for (const auto& s : short_names) rename(s.stored, s.name);
  json::object telemetry;
  if (auto* tm = o.if_contains("tm")) telemetry["metadata"] = *tm;
  if (auto* omc = o.if_contains("omc")) telemetry["omitContext"] = *omc;
  if (!telemetry.empty()) {
    o.erase("tm");
    o.erase("omc");
    o["telemetry"] = std::move(telemetry);
  }
  return o;
}

job_options job_options::from_stored(const json::object& stored) {
  job_options o;
  for (const auto& kv : stored) {
    std::string_view k = kv.key();
    const auto& val = kv.value();
    if (k == "jobId" && val.is_string()) {
      o.job_id = std::string(val.get_string());
    } else if (k == "timestamp") {
      o.timestamp = as_exact_integer(val);
    } else if (k == "delay") {
      o.delay = as_exact_integer(val);
    } else if (k == "priority") {
      o.priority = as_exact_integer(val);
    } else if (k == "lifo" && val.is_bool()) {
      o.lifo = val.get_bool();
    } else if (k == "attempts") {
      o.attempts = as_loose_integer(val, [](double d) { return std::ceil(d); });
    } else if (k == "backoff") {
      try {
        o.backoff = parse_backoff(val, false);
      } catch (const error&) {
        o.extra[k] = val;
      }
    } else if (k == "removeOnComplete") {
      o.remove_on_complete = val;
    } else if (k == "removeOnFail") {
      o.remove_on_fail = val;
    } else if (k == "stackTraceLimit") {
      o.stack_trace_limit = as_loose_integer(val, [](double d) { return std::trunc(d); });
    } else if (k == "kl" || k == "keepLogs") {  // keepLogs: a dead letter's copy (to_json) read back
      o.keep_logs = as_loose_integer(val, [](double d) { return std::trunc(d); });
    } else if (k == "sizeLimit") {
      o.size_limit = as_exact_integer(val);
    } else if (k == "timeout") {
      // As Node's arithmetic takes a computed 300.5 or a "700" (a time review's Node jobs
      // ran without their timeout, unsaid): made whole upwards, never to 0.
      o.timeout = as_loose_integer(val, [](double d) { return std::ceil(d); });
    } else if (k == "de" && val.is_object()) {
      o.deduplication = val.get_object();
    } else if (k == "tm" || k == "omc") {
      auto& t = o.extra["telemetry"];
      if (!t.is_object()) t = json::object();
      t.as_object()[k == "tm" ? "metadata" : "omitContext"] = val;
    } else {
      bool renamed = false;
      for (const auto& s : short_names) {
        if (k == s.stored) {
          o.extra[s.name] = val;
          renamed = true;
        }
      }
      if (!renamed) o.extra[k] = val;
    }
  }
  return o;
}

}  // namespace drover
