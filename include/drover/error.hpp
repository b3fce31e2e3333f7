// error.hpp - the errors drover reports: one error_code category and one exception type.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

namespace drover {

// Why an operation failed. One convention for absence across the API: a lookup
// (get_job, get_job_state, get_job_scheduler, dead_letter_queue::get, ...) returns
// std::nullopt, a removal returns whether there was something to remove, and only a
// command on one job (retry_job, change_delay, update_progress, add_log, update_data,
// dead_letter_queue::requeue) throws errc::job_not_found. promote is the exception, as
// BullMQ's is: it looks only among delayed jobs, so a missing job gives not_in_state.
enum class errc {
  redis_unavailable = 1,  // cannot connect, or the connection was lost
  redis_timeout,          // no reply within the command timeout
  redis_error,            // Redis answered with an error reply
  protocol_error,         // a reply had a shape we did not expect
  script_error,           // a Lua script failed or returned an error code
  invalid_argument,       // bad input from the caller; nothing was written
  job_not_found,          // the job (or its key) does not exist (-1)
  lock_missing,           // the job's lock is gone (-2)
  not_in_state,           // the job is not in the state the command needs (-3)
  pending_children,       // the job still has pending children (-4)
  parent_missing,         // the parent job does not exist (-5)
  lock_mismatch,          // the lock belongs to another worker (-6)
  closed,                 // the object was closed
  cancelled,              // the operation was cancelled
  timed_out,              // a wait (queue::wait_until_finished) ended before what it awaited
  not_replicated,         // fewer replicas than asked confirmed a write in time (WAIT); it may be on the master
};

const std::error_category& drover_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), drover_category()}; }

// Thrown by every drover operation that fails. what() says what was being done
// and to what ("Missing lock for job 42. moveToFinished"), code() says why.
class error : public std::runtime_error {
 public:
  error(errc code, const std::string& what) : std::runtime_error(what), code_(make_error_code(code)) {}
  const std::error_code& code() const noexcept { return code_; }
  bool is(errc e) const noexcept { return code_ == make_error_code(e); }

 private:
  std::error_code code_;
};

// Thrown by a processor to fail the job at once, whatever attempts remain
// (BullMQ's UnrecoverableError).
class unrecoverable_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a processor: its job goes back to `delayed` until `until_ms` (ms since the
// epoch; now or earlier: due at once) without using up an attempt, as Node's
// job.moveToDelayed(timestamp) followed by a DelayedError.
class move_to_delayed : public std::runtime_error {
 public:
  explicit move_to_delayed(std::int64_t until)
      : std::runtime_error("the processor moved the job to delayed"), until_ms(until) {}
  std::int64_t until_ms;
};

// Thrown by a processor that met a rate limit outside (an API answering 429): its job
// goes back to wait, ahead of the others, without using up an attempt, and every worker
// of the queue that runs under a rate limit waits `duration` before it takes another
// job, as Node's worker.rateLimit(ms) followed by a RateLimitError.
class rate_limited : public std::runtime_error {
 public:
  explicit rate_limited(std::chrono::milliseconds d)
      : std::runtime_error("the processor hit a rate limit"), duration(d) {}
  std::chrono::milliseconds duration;
};

// Thrown by a processor that added children to its own job (flows: children whose
// opts.parent is as_parent(ctx)): the job moves to waiting-children, as Node's
// job.moveToWaitingChildren(token) followed by a WaitingChildrenError, and runs again
// once its last child completes (the processor then finds their values with
// job_context::children_values()). When every child has already finished, it goes back
// to wait and runs again at once; when a child failed under failParentOnFailure, the
// attempt fails. No attempt is used up.
class wait_for_children : public std::runtime_error {
 public:
  wait_for_children() : std::runtime_error("the processor waits for the job's children") {}
};

// Thrown by queue::wait_until_finished when the job failed for good; what() is its
// failed reason, as Node's waitUntilFinished rejects with Error(failedReason).
class job_failed : public std::runtime_error {
 public:
  job_failed(std::string id, const std::string& reason) : std::runtime_error(reason), job_id(std::move(id)) {}
  std::string job_id;
};

}  // namespace drover

template <>
struct std::is_error_code_enum<drover::errc> : std::true_type {};
