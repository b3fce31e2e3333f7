// job_view.cpp - the human forms of jobs; --json prints job::to_json() instead.
#include "job_view.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "text_table.hpp"
#include <drover/json.hpp>

namespace json = boost::json;

namespace drover::cli {

namespace {

// How long the job ran, or has waited/run so far when it has not finished. A job that
// ran and is not active now (handed back at a shutdown, waiting for a retry) keeps the
// processedOn of its last start: it is not running.
// A job promoted with the rest of its queue keeps its delay (promoting one job sets it to
// 0): one waiting to run before its delay ran out was promoted, and is due now (an
// operator's review: such jobs read "in 1h59m" while they waited). `waiting`: the job is
// waiting (a paused queue's too) or prioritized.
std::string elapsed(const job& j, bool active, bool waiting, std::int64_t now_ms) {
  if (j.processed_on && j.finished_on) return format_duration(*j.finished_on - *j.processed_on);
  if (j.processed_on && active) return format_duration(now_ms - *j.processed_on) + " running";
  if (j.processed_on) return format_duration(now_ms - *j.processed_on) + " since its last start";
  // Due since the delay it was added with ran out (the stored delay is 0 once it came
  // due), not since its creation.
  auto due = j.first_due_ms();
  if (due > now_ms) return waiting ? "now (promoted)" : "in " + format_duration(due - now_ms);
  return format_duration(now_ms - due) + " waiting";
}

std::string detail(const job& j) {
  if (j.failed_reason && !j.failed_reason->empty()) return *j.failed_reason;
  if (!(j.progress.is_int64() && j.progress.as_int64() == 0)) return "progress " + drover::serialize_json(j.progress);
  return {};
}

std::string attempts(const job& j) {
  if (j.opts.attempts.value_or(0) > 1) return fmt::format("{}/{}", j.attempts_made, *j.opts.attempts);
  return fmt::format("{}", j.attempts_made);
}

}  // namespace

void print_job_table(std::ostream& out, const std::vector<listed_job>& jobs, std::int64_t now_ms) {
  using a = text_table::align;
  text_table t({"ID", "NAME", "STATE", "ATTEMPTS", "CREATED (UTC)", "TIME", "DETAIL"},
               {a::left, a::left, a::left, a::right, a::left, a::right, a::left});
  for (const auto& [j, state] : jobs) {
    t.add_row({shorten(j.id, 36), shorten(j.name, 30), state, attempts(j), format_time(j.timestamp),
               elapsed(j, state == "active", state == "waiting" || state == "prioritized" || state == "paused", now_ms),
               shorten(detail(j), 60)});
  }
  t.print(out);
}

void print_job_detail(std::ostream& out, const job& j, std::optional<job_state> state,
                      const std::vector<std::string>& logs, std::int64_t now_ms) {
  using a = text_table::align;
  text_table t({"FIELD", "VALUE (times in UTC)"}, {a::left, a::left});
  t.add_row({"id", j.id});
  t.add_row({"name", j.name});
  t.add_row({"state", to_string(state)});
  t.add_row({"attempts", attempts(j)});
  t.add_row({"progress", drover::serialize_json(j.progress)});
  t.add_row({"created", format_time(j.timestamp)});
  if (j.delay > 0) t.add_row({"delay", format_duration(j.delay)});
  if (j.priority > 0) t.add_row({"priority", fmt::format("{}", j.priority)});
  t.add_row({"processed", format_time(j.processed_on)});
  t.add_row({"finished", format_time(j.finished_on)});
  if (auto waited = j.first_wait_ms()) t.add_row({"wait time", format_duration(*waited)});
  const bool active = state == job_state::active;
  const char* time_label = !j.processed_on ? "due" : j.finished_on || active ? "run time" : "last started";
  const bool waiting = state == job_state::waiting || state == job_state::prioritized;
  t.add_row({time_label, elapsed(j, active, waiting, now_ms)});
  if (j.processed_by) t.add_row({"processed by", *j.processed_by});
  if (j.stalled_counter > 0) t.add_row({"stalled", fmt::format("{} time(s)", j.stalled_counter)});
  if (j.failed_reason) t.add_row({"failed reason", shorten(*j.failed_reason, 200)});
  if (j.deduplication_id) t.add_row({"deduplication id", *j.deduplication_id});
  if (j.repeat_job_key) t.add_row({"scheduler", *j.repeat_job_key});
  if (j.parent_key) t.add_row({"parent", *j.parent_key});
  t.print(out);
  // JSON escapes C0 controls but not C1 (U+009B is a CSI to some terminals).
  out << "\ndata:    " << terminal_safe(drover::serialize_json(j.data)) << '\n';
  out << "options: " << terminal_safe(drover::serialize_json(j.opts.to_json())) << '\n';
  if (!j.returnvalue.is_null()) out << "return:  " << terminal_safe(drover::serialize_json(j.returnvalue)) << '\n';
  if (!j.stacktrace.empty()) {
    out << "\nstack trace (last attempt first):\n";
    for (auto it = j.stacktrace.rbegin(); it != j.stacktrace.rend(); ++it)
      out << "  " << terminal_safe(*it, true) << '\n';
  }
  if (!logs.empty()) {
    out << "\nlogs:\n";
    for (const auto& l : logs) out << "  " << terminal_safe(l, true) << '\n';
  }
}

}  // namespace drover::cli
