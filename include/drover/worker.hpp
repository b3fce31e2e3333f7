// worker.hpp - takes jobs off a queue and runs them, as BullMQ's Worker does.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "drover/error.hpp"
#include "drover/job.hpp"
#include "drover/redis_options.hpp"
#include "drover/slot_budget.hpp"
#include "drover/tracing.hpp"
#include "drover/worker_events.hpp"

namespace drover {

struct rate_limiter_options {
  std::int64_t max = 0;                   // jobs started per window
  std::chrono::milliseconds duration{0};  // the window
};

// Defaults match BullMQ's Worker.
struct worker_options {
  std::string prefix = "bull";
  redis_options redis = redis_options::from_env();
  int concurrency = 1;  // jobs run at once in this process
  // Slots shared with other workers of this process (slot_budget.hpp); each job this
  // worker runs takes one. Unset: only `concurrency` limits it.
  std::optional<slot_budget> shared_slots{};
  std::chrono::milliseconds lock_duration{30000};     // a job's lock lives this long unless renewed
  std::chrono::milliseconds lock_renew_time{0};       // renewed this often; 0: half of lock_duration
  std::chrono::milliseconds stalled_interval{30000};  // how often the stalled check runs
  int max_stalled_count = 1;                          // stalls before a job fails
  std::chrono::milliseconds drain_delay{5000};        // longest wait on an empty queue before re-checking
  std::optional<rate_limiter_options> limiter{};      // jobs per window, shared by the queue's workers
  std::string name{};                                 // shown as processedBy and in CLIENT LIST
  boost::json::value remove_on_complete{};            // as job_options; a job's own option wins
  boost::json::value remove_on_fail{};
  bool skip_stalled_check = false;  // leave the stalled check to other workers
  // Keep BullMQ's per-minute metrics (metrics:completed / metrics:failed) with this
  // many data points, as Node's `metrics: {maxDataPoints}`; 0: keep none.
  std::int64_t metrics_max_data_points = 0;
  unsigned cpu_threads = 0;  // threads for blocking processors; 0: one per core
  // Time allowed to one attempt of a job that has no `timeout` of its own; 0: none.
  // For a blocking processor it counts from when a pool thread starts the job, not
  // while the job waits for one (its lock is renewed meanwhile).
  std::chrono::milliseconds default_timeout{0};
  // How often the worker looks for cancellation requests (queue::cancel) of the jobs it
  // runs; a request reaches the processor within this plus one round trip to Redis.
  std::chrono::milliseconds cancel_check_interval{250};
  // Where jobs that fail for good are copied (a queue name, usually "<queue>-dlq";
  // see dead_letter_queue.hpp); empty: nowhere. Cancelled jobs are never copied.
  std::string dead_letter_queue{};
  // The most entries the dead-letter queue keeps: each copy beyond it deletes the
  // oldest, in the same atomic call, so that failures anyone can cause cannot fill
  // Redis's memory. 0: keep every one.
  std::int64_t dead_letters_kept = 0;
  // Which of the jobs that fail for good are copied; unset: every one. Runs on the
  // worker's executor and must not block.
  std::function<bool(const job&)> dead_letter_if{};
  tracing_options tracing = tracing_options::from_env();  // spans of each attempt (tracing.md)
  // How often the worker reports itself (queue::get_worker_statuses); 0: never.
  std::chrono::milliseconds heartbeat_interval{5000};
  // The most times a job may be started, whether its runs end or stall; a job started
  // more often fails for good ("job started more than allowable limit") without
  // running, and one started this often is not retried. 0: no limit. (Node's
  // maxStartedAttempts.)
  std::int64_t max_started_attempts = 0;
  // The delay before a retry for backoff types other than "fixed" and "exponential"
  // (Node's settings.backoffStrategy): given the attempts made so far (this one
  // included), the job's backoff type, the failure and the job, it returns the delay in
  // ms, or std::nullopt for "do not retry". Unset: such a job fails for good.
  std::function<std::optional<std::int64_t>(std::int64_t attempts_made, const std::string& type,
                                            const std::string& reason, const job& j)>
      backoff_strategy{};
};

// A worker's counters.
struct worker_stats {
  std::uint64_t completed = 0;  // jobs recorded completed
  std::uint64_t failed = 0;     // jobs recorded failed for good (not retried attempts)
  std::size_t running = 0;      // jobs running now
  std::size_t concurrency = 0;
};

// Why a processor is asked to stop.
enum class cancellation {
  none,       // it is not: carry on
  timeout,    // the attempt ran out of time; the job's retry policy applies
  cancelled,  // queue::cancel was called; the job ends failed "cancelled", not retried
  shutdown,   // the worker closed past its grace period and handed the job back to wait:
              // it will run again, and nothing of this attempt is recorded
};

// What an asynchronous processor sees of its job.
// Thread safety: use it from the processor's coroutine only.
class job_context {
 public:
  virtual ~job_context() = default;
  virtual const drover::job& job() const = 0;
  // Sets the job's progress and emits a `progress` event. While Redis is away it waits
  // and tries again, for up to lock_duration; then, or once the worker closes, it throws
  // drover::error (redis_unavailable or redis_timeout).
  virtual boost::asio::awaitable<void> update_progress(boost::json::value progress) = 0;
  // Appends a line to the job's log; waits while Redis is away as update_progress does.
  virtual boost::asio::awaitable<void> log(std::string line) = 0;
  // Renews the job's lock for `duration` from now (Node's job.extendLock(token, duration)):
  // for a step known to outlast lock_duration. The worker's own renewal then waits until
  // the extended lock has lock_duration left, so it does not shorten it; this call does,
  // as Node's, when `duration` is less than the lock has left (ask for at least
  // lock_duration). Throws drover::error(lock_missing) when the lock is gone or another
  // worker's.
  virtual boost::asio::awaitable<void> extend_lock(std::chrono::milliseconds duration) = 0;
  // True once the processor is asked to stop: the attempt timed out or the job was
  // cancelled. The attempt has already failed and whatever the processor returns is
  // ignored. (Its pending timer and socket waits are cancelled too.)
  bool cancelled() const { return cancel_reason() != cancellation::none; }
  // Why it is asked to stop, or cancellation::none.
  virtual cancellation cancel_reason() const = 0;
  // Asks Redis now whether the job was cancelled (queue::cancel), rather than waiting for
  // the worker's next look (cancel_check_interval), and stops the attempt as that look
  // would; returns cancelled(). For the moment before a side effect that cannot be taken
  // back (an answer delivered, a payment made): a cancel answered "signalled" after it
  // still fails the job "cancelled", with the effect done. Throws drover::error when Redis
  // does not answer.
  virtual boost::asio::awaitable<bool> check_cancelled() = 0;

  // Flows (flow.hpp). The job's queue qualified by its prefix ("<prefix>:<queue>"): with
  // the job's id, what its children name as their parent (drover::as_parent(ctx) in flow.hpp).
  virtual std::string queue_key() const = 0;
  // The return values of the job's completed children, by child key (Node's
  // job.getChildrenValues()).
  virtual boost::asio::awaitable<boost::json::object> children_values() = 0;
  // The failures of children it goes on without (ignoreDependencyOnFailure,
  // continueParentOnFailure), by child key (Node's job.getIgnoredChildrenFailures()).
  virtual boost::asio::awaitable<std::map<std::string, std::string>> ignored_children_failures() = 0;
};

// What a blocking (CPU-bound) processor sees; it runs on the worker's thread pool.
// Thread safety: its calls may be made from the pool thread running the job.
class blocking_job_context {
 public:
  virtual ~blocking_job_context() = default;
  virtual const drover::job& job() const = 0;
  // Both wait until Redis has the update, trying again while Redis is away as
  // job_context's do; they throw drover::error on failure.
  virtual void update_progress(boost::json::value progress) = 0;
  virtual void log(std::string line) = 0;
  // As job_context::extend_lock; waits for Redis's answer.
  virtual void extend_lock(std::chrono::milliseconds duration) = 0;
  // True once the attempt timed out, the job was cancelled or the worker closed; a long
  // computation should check it and stop: close() waits for the processor to return
  // before it hands the job back, however long that takes (it warns after 5 s). Safe to
  // call from any thread. After a shutdown, update_progress and log
  // may return without waiting: the event loop may no longer run them.
  bool cancelled() const { return cancel_reason() != cancellation::none; }
  virtual cancellation cancel_reason() const = 0;
};

// The code that runs a job. It returns the job's result (stored as its return
// value) or throws to fail the attempt; unrecoverable_error fails the job for good.
struct processor {
  using async_fn = std::function<boost::asio::awaitable<boost::json::value>(job_context&)>;
  using blocking_fn = std::function<boost::json::value(blocking_job_context&)>;

  // I/O-bound work: a coroutine on the worker's executor. It must not block.
  static processor async(async_fn fn) { return processor{std::move(fn), {}}; }
  // CPU-bound work: runs on a thread pool so that lock renewal and the other jobs go on.
  static processor blocking(blocking_fn fn) { return processor{{}, std::move(fn)}; }

  async_fn async_;
  blocking_fn blocking_;
};

// A worker of one queue.
//
// Lifecycle:
//  1. start(): runs the stalled check at once and then every stalled_interval,
//     renews the locks of running jobs, and fetches jobs while it has free slots;
//     on an empty queue it blocks on the queue's marker, not polling.
//  2. Each job: fail at once if the stalled check marked it, else run the processor,
//     then record the result, or retry with the job's backoff, or fail it. A job
//     with a `timeout` option (or, without one, worker_options::default_timeout)
//     fails its attempt when the time is up ("job timed out after N ms"). A job
//     cancelled through queue::cancel fails with the reason "cancelled" and is not
//     retried. Either way the processor is told through job_context::cancel_reason().
//     A job that fails for good is copied to worker_options::dead_letter_queue.
//     The time of a blocking processor's job counts from when a pool thread starts it;
//     with more jobs than cpu_threads the others wait for a thread (their locks
//     renewed), and one cancelled while it waits never starts.
//  3. close(grace): stop fetching, wait for running jobs up to `grace`, stop the rest
//     (cancellation::shutdown), wait for blocking processors to return (a thread cannot
//     be stopped, and a job handed back while its processor ran would run twice at
//     once), and hand them back to the wait list (waiting 2 s at most for Redis to take
//     them: a job it did not take stays active until its lock expires and a stalled
//     check moves it), release the connections. An async processor is stopped by the
//     cancellation of the operation it awaits: one that awaits something that ignores
//     cancellation (a timer of its own, another library's call) goes on after close()
//     while its job is back in wait, and may run beside another worker's run of it; such
//     a processor should check job_context::cancelled() or await cancellable
//     operations. A close() while another runs waits for that one (whose
//     grace applies) and reports nothing itself: `closed` comes once. Destroying a worker without close() stops its
//     running processors as close(0) does (cancellation::shutdown), but cannot hand their jobs back: they stay active
//     until the stalled check moves them. Await close() first to hand them back. The
//     destructor waits for blocking processors still on the pool. A closed worker does
//     not start again: start() after close() throws drover::error(closed).
//
// The executor must run one handler at a time: an io_context that one thread runs, or,
// when several threads run it, a strand (boost::asio::make_strand(io)) given here and
// used by whoever calls the worker. A multi-threaded executor without a strand corrupts
// the worker's state. The executor's io_context must outlive the worker: destroy (or
// close) the worker first, since its destructor hands work to the executor.
// When Redis goes away the worker keeps retrying with back-off and resumes by
// itself; a result that cannot be recorded is retried until the lock would expire.
// What happens along the way is reported through events() (worker_events.hpp).
//
// Thread safety: none; call it from the executor it was made with (see above).
class worker {
 public:
  // Throws drover::error(invalid_argument) for a bad queue name or options.
  worker(boost::asio::any_io_executor ex, std::string queue, processor proc, worker_options opts = {});
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // The callbacks it calls (worker_events.hpp); set them before start().
  worker_events& events();

  void start();
  boost::asio::awaitable<void> close(std::chrono::milliseconds grace = std::chrono::seconds(30));

  // Jobs running now.
  std::size_t running() const;
  // Jobs this worker finished (completed, failed, or sent to retry) since start.
  std::uint64_t processed() const;
  // Safe to call from any thread.
  worker_stats stats() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace drover
