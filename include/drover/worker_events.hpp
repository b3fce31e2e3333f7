// worker_events.hpp - what a worker tells the program that runs it, as Node's Worker
// emits it: active, progress, completed, failed, stalled, drained, error, closed.
#pragma once

#include <boost/json/value.hpp>

#include <exception>
#include <functional>
#include <string>

#include "drover/job.hpp"

namespace drover {

// Callbacks a worker calls; any may be left empty. Set them before worker::start().
//
// Guarantees:
// - Each runs on the worker's executor (never on a blocking processor's pool thread),
//   after what it reports is stored in Redis; it must not block.
// - For one job: active, then any progress, then completed or failed (failed once per
//   failed attempt; a retried job is active again). A job a close hands back to wait
//   reports nothing more.
// - A callback that throws is logged and ignored: it never fails the job or the worker.
// - closed is the last call, once close() has released everything; once only, even when
//   close() is called again while it runs. Nothing is called after it (nor once the
//   worker is destroyed), even for a job whose outcome is still being recorded then.
struct worker_events {
  // The worker took the job and its attempt starts.
  std::function<void(const job&)> active;
  // The processor set the job's progress.
  std::function<void(const std::string& job_id, const boost::json::value& progress)> progress;
  // The job completed with this result. The job as Node's listeners get it: this attempt
  // counted in attempts_made, its returnvalue and finished_on set.
  std::function<void(const job&, const boost::json::value& result)> completed;
  // An attempt failed; `will_retry` false when the job failed for good (or was cancelled).
  // The job as Node's listeners get it: this attempt counted in attempts_made, its
  // failed_reason and stack trace this attempt's, finished_on set once it failed for good.
  std::function<void(const job&, const std::string& reason, bool will_retry)> failed;
  // The stalled check found the job's worker gone and moved the job back to wait.
  std::function<void(const std::string& job_id)> stalled;
  // The queue has no job to take: the worker now waits on Redis. Once per time it empties.
  std::function<void()> drained;
  // Something went wrong that the worker survives (Redis away, an outcome it could not
  // record, a failed stalled check); the worker carries on by itself.
  std::function<void(const std::exception&)> error;
  // close() finished.
  std::function<void()> closed;
};

}  // namespace drover
