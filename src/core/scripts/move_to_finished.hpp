// move_to_finished.hpp - BullMQ's moveToFinished (and drover's guard in front of it):
// active -> completed or failed; may fetch the next job in the same call.
//
// Contract: checks the job's lock against the token and releases it, takes the job out
// of active, stores its result or failure (and the extra job fields) in its hash,
// adds it to the finished set (then trims that set by keepJobs, or deletes the job at
// once), records metrics when asked to, and adds a "completed" or "failed" event; with
// fetch next, then does what moveToActive does. KEYS (14): wait, active, prioritized,
// events, stalled, limiter, delayed, paused, meta, pc, the finished set, job hash,
// metrics key, marker. ARGV (9): job id, timestamp, "returnvalue" or "failedReason",
// the value, "completed" or "failed", fetch next ("1"/"0"), key prefix, msgpacked
// options {token, keepJobs, limiter?, lockDuration, attempts, maxMetricsSize, name?, fpof}
// (the worker's limiter, which a fetch next respects as moveToActive does),
// msgpacked job fields ("" for none). Returns 0, or the fetch reply (move_to_active.hpp)
// when fetching; -1 missing job, -2 missing lock, -3 not active, -4 pending children,
// -6 lock held by another token, -9 failed children.
//
// A guarded call runs drover's moveToFinishedLean (src/lua) instead, with the same KEYS
// and ARGV: it first answers {"drover:cancel", request} when a cancellation request
// waits in the job hash, and then nothing is recorded; otherwise it does the common
// completion (no parent, keep all, no metrics, no limiter, fetch next, ...) in fewer
// calls and runs BullMQ's script, unchanged, for the rest.
// drover's moveToFinishedWithDeadLetter (src/lua) takes the same KEYS and ARGV followed
// by addStandardJob's for the dead-letter entry (add_job.hpp) and the most entries kept,
// and writes the entry in the same call when the failure is recorded.
#pragma once

#include <boost/json/object.hpp>

#include <initializer_list>
#include <optional>

#include "core/keys.hpp"
#include "core/scripts/move_to_active.hpp"
#include "core/scripts/script_call.hpp"
#include "drover/job.hpp"
#include "drover/worker.hpp"

namespace drover::detail::scripts {

// The msgpacked [field, value, ...] list of job fields that the finishing scripts
// (moveToFinished, moveToDelayed, retryJob) write into the job hash.
std::string job_fields(std::initializer_list<std::string_view> fields_and_values);

// removeOnComplete/removeOnFail as the keepJobs object moveToFinished reads: the job's
// own option, else the worker's; true keeps none, false or nothing keeps all.
boost::json::object keep_jobs(const boost::json::value& job_option, const boost::json::value& worker_option);

struct move_to_finished {
  // KEYS
  std::string wait, active, prioritized, events, stalled, limiter, delayed, paused, meta, pc, finished_set, job_key,
      metrics, marker;
  // ARGV
  std::string job_id;  // also names the job in errors
  std::int64_t timestamp = 0;
  bool completed = true;  // "completed" (returnvalue), or "failed" (failedReason)
  std::string value;      // the return value as JSON, or the failure reason
  bool fetch_next = false;
  std::string prefix;
  // ARGV[8], msgpacked
  std::string token;
  boost::json::object keep;
  std::optional<rate_limiter_options> limiter_opts;  // the worker's, for the fetch next
  std::int64_t lock_duration_ms = 0;
  std::int64_t attempts = 0;
  std::int64_t max_metrics_size = 0;  // 0: "" (no metrics)
  std::string worker_name;            // sent when not empty (processedBy of a fetched job)
  // ARGV[9]
  std::string fields;  // job_fields(...), or "" for none
  // Not sent: run drover's moveToFinishedLean (with its cancellation guard) instead.
  bool unless_cancelled = false;
  // A failure's dead-letter entry, as prepare_add packs it for the dead-letter queue (a
  // standard add): run drover's moveToFinishedWithDeadLetter, which adds it in the same
  // atomic call, and then deletes the oldest entries beyond `dead_letters_kept` (0: none).
  std::optional<script_call> dead_letter;
  std::int64_t dead_letters_kept = 0;

  static move_to_finished of(const queue_keys& k, const job& j, std::string token, bool completed, std::string value,
                             std::string fields, bool fetch_next, const worker_options& opts, std::int64_t now);
  script_call pack() &&;

  struct result {
    std::optional<std::string> cancel_request;  // the guard's answer: nothing was recorded
    std::optional<fetched> next;                // with fetch_next: what the finish fetched
  };
  // Negative codes are the caller's (job_runner::record checks them for every
  // finishing script).
  result parse(redis::reply& r) const;
};

}  // namespace drover::detail::scripts
