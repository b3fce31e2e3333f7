// job.cpp - reading a job hash and showing a job as Node's toJSON() does.
#include "drover/job.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include <charconv>

#include "core/cancellation.hpp"
#include "drover/json.hpp"

namespace json = boost::json;

namespace drover {

namespace {

json::value parse_or_string(const std::string& text) {
  boost::system::error_code ec;
  auto v = drover::parse_json(text, ec);
  if (ec) return json::value(json::string(text));
  return v;
}

std::int64_t to_int(const std::string& s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

job job::from_hash(std::string id, const std::vector<std::string>& fv) {
  job j;
  j.id = std::move(id);
  j.data = json::object();
  bool legacy_attempts = false;
  for (std::size_t i = 0; i + 1 < fv.size(); i += 2) {
    const std::string& k = fv[i];
    const std::string& v = fv[i + 1];
    if (k == "name") {
      j.name = v;
    } else if (k == "data") {
      j.data = v.empty() ? json::value(json::object()) : parse_or_string(v);
    } else if (k == "opts") {
      auto o = parse_or_string(v);
      if (o.is_object()) j.opts = job_options::from_stored(o.get_object());
    } else if (k == "progress") {
      j.progress = v.empty() ? json::value(0) : parse_or_string(v);
    } else if (k == "timestamp") {
      j.timestamp = to_int(v);
    } else if (k == "delay") {
      j.delay = to_int(v);
    } else if (k == "priority") {
      j.priority = to_int(v);
    } else if (k == "atm") {
      if (!legacy_attempts) j.attempts_made = to_int(v);
    } else if (k == "attemptsMade") {
      // Node reads `attemptsMade || atm`: the legacy field wins when present.
      if (!v.empty()) {
        legacy_attempts = true;
        j.attempts_made = to_int(v);
      }
    } else if (k == "ats") {
      j.attempts_started = to_int(v);
    } else if (k == "stc") {
      j.stalled_counter = to_int(v);
    } else if (k == "processedOn") {
      j.processed_on = to_int(v);
    } else if (k == "finishedOn") {
      j.finished_on = to_int(v);
    } else if (k == "returnvalue") {
      j.returnvalue = parse_or_string(v);
    } else if (k == "failedReason") {
      j.failed_reason = v;
    } else if (k == "stacktrace") {
      auto st = parse_or_string(v);
      if (st.is_array()) {
        for (const auto& e : st.get_array()) {
          if (e.is_string()) j.stacktrace.emplace_back(e.get_string());
        }
      }
    } else if (k == "defa") {
      j.deferred_failure = v;
    } else if (k == "pb") {
      j.processed_by = v;
    } else if (k == "parentKey") {
      j.parent_key = v;
    } else if (k == "parent") {
      j.parent = parse_or_string(v);
    } else if (k == "rjk") {
      j.repeat_job_key = v;
    } else if (k == "deid") {
      j.deduplication_id = v;
    } else if (k == detail::cancel_field) {
      j.cancel_requested = v;
    }
  }
  // As Node's Job: repeatJobKey is the job's, not an option (a scheduler's next job
  // stores it in its opts too); the hash's rjk field wins when both are there.
  if (const auto* rjk = j.opts.extra.if_contains("repeatJobKey")) {
    if (!j.repeat_job_key && rjk->is_string()) j.repeat_job_key = std::string(rjk->get_string());
    j.opts.extra.erase("repeatJobKey");
  }
  return j;
}

std::int64_t job::first_due_ms() const { return timestamp + std::max(delay, opts.delay.value_or(0)); }

std::optional<std::int64_t> job::first_wait_ms() const {
  if (!processed_on || attempts_started > 1) return std::nullopt;
  return std::max<std::int64_t>(0, *processed_on - first_due_ms());
}

json::object job::to_json() const {
  json::object o;
  o["id"] = id;
  o["name"] = name;
  o["data"] = data;
  o["opts"] = opts.to_json();
  o["progress"] = progress;
  o["returnvalue"] = returnvalue;
  json::array st;
  for (const auto& s : stacktrace) st.emplace_back(s);
  o["stacktrace"] = std::move(st);
  o["delay"] = delay;
  o["priority"] = priority;
  o["attemptsStarted"] = attempts_started;
  o["attemptsMade"] = attempts_made;
  o["stalledCounter"] = stalled_counter;
  o["timestamp"] = timestamp;
  if (finished_on) o["finishedOn"] = *finished_on;
  if (processed_on) o["processedOn"] = *processed_on;
  if (failed_reason) o["failedReason"] = *failed_reason;
  if (deferred_failure) o["deferredFailure"] = *deferred_failure;
  if (processed_by) o["processedBy"] = *processed_by;
  if (parent_key) o["parentKey"] = *parent_key;
  if (!parent.is_null()) o["parent"] = parent;
  if (repeat_job_key) o["repeatJobKey"] = *repeat_job_key;
  if (deduplication_id) o["deduplicationId"] = *deduplication_id;
  return o;
}

}  // namespace drover
