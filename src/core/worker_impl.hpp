// worker_impl.hpp - the state a worker's actors share: fetcher, job runner, lock renewer, stalled checker.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>

#include "core/keys.hpp"
#include "core/redis_retry.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/move_to_active.hpp"
#include "core/scripts/script_call.hpp"
#include "drover/queue.hpp"
#include "drover/worker.hpp"
#include "redis/connection.hpp"

namespace drover {

struct worker::impl : std::enable_shared_from_this<worker::impl> {
  using clock = std::chrono::steady_clock;
  struct processor_run;  // job_runner.cpp

  struct running_job {
    std::string token;
    clock::time_point renewed_at;
    bool lock_lost = false;
    std::int64_t attempt = 1;  // this run's attempt, for log lines
  };

  impl(boost::asio::any_io_executor ex, std::string queue, processor proc, worker_options opts);

  // fetcher.cpp
  boost::asio::awaitable<void> fetch_loop();
  boost::asio::awaitable<void> wait_for_job();
  // Ends the marker wait when the next delayed job is due (see fetcher.cpp).
  // Returns whether it armed the timer.
  bool arm_due_timer(std::chrono::milliseconds due_in);
  boost::asio::awaitable<void> unblock(std::int64_t client_id);
  boost::asio::awaitable<std::optional<job>> move_to_active(const std::string& token);
  // What a fetch (moveToActive, or a finish that fetched) answered: the job, or why
  // there was none (rate limited, or drained until the next delayed job is due).
  std::optional<job> take_fetched(detail::scripts::fetched f);
  std::optional<job> take_fetch_reply(redis::reply& r);  // parses, then take_fetched
  // job_runner.cpp
  // Runs a job, then the jobs its finishing call fetched (BullMQ's fetchNext), in one slot.
  boost::asio::awaitable<void> run_job(job j, std::string token);
  // Runs one job and records its outcome; returns the next job when the finish fetched one.
  boost::asio::awaitable<std::optional<job>> run_one(job j, const std::string& token);
  // Whether a finishing call should fetch the next job too (one call per job, not two).
  bool fetch_with_finish() const;
  // Asks a running processor to stop (timeout or cancellation); the first reason wins.
  void stop_run(processor_run& run, cancellation why, std::string request);
  std::chrono::milliseconds timeout_of(const job& j) const;  // 0: none
  boost::json::array stack_traces(const job& j, std::string_view text) const;
  boost::asio::awaitable<void> fail_cancelled(const job& j, const std::string& token, const std::string& request);
  boost::asio::awaitable<boost::json::value> call_processor(std::shared_ptr<processor_run> run);
  // Returns the next job when fetch_next and one was there. When a cancellation request
  // was waiting in the job's hash, records nothing and sets cancel_request instead.
  boost::asio::awaitable<std::optional<job>> complete(const job& j, const std::string& token,
                                                      const boost::json::value& result, bool fetch_next,
                                                      std::optional<std::string>& cancel_request);
  boost::asio::awaitable<void> fail(const job& j, const std::string& token, const std::string& reason,
                                    bool unrecoverable);
  // Runs a finishing script (moveToFinished, moveToDelayed, retryJob): its reply, or
  // nothing when the outcome could not be recorded (logged). A negative code counts as
  // not recorded.
  boost::asio::awaitable<std::optional<redis::reply>> record(const job& j, const char* what,
                                                             detail::scripts::script_call call);
  // scheduler_iteration.cpp: a job of a job scheduler adds the scheduler's next job.
  boost::asio::awaitable<void> schedule_next_iteration(const job& j);
  // lock_renewer.cpp
  boost::asio::awaitable<void> lock_renewer();
  // cancel_watcher.cpp
  boost::asio::awaitable<void> cancel_watcher();
  boost::asio::awaitable<void> check_cancel_requests();
  // The job's pending cancellation request, if any. A Redis failure counts as none.
  boost::asio::awaitable<std::optional<std::string>> find_cancel_request(std::string id);
  // worker_heartbeat.cpp
  worker_status status() const;
  boost::asio::awaitable<void> heartbeat();
  boost::asio::awaitable<void> forget_heartbeat();
  // Keeps the thread-safe copy of running.size() (stats()) current.
  void note_running() { busy = running.size(); }
  // stalled_checker.cpp
  boost::asio::awaitable<void> stalled_checker();
  boost::asio::awaitable<void> check_stalled();

  // Sleeps, waking early when the worker closes. Returns false when closing.
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d);
  void wake();  // wakes the fetcher (a slot freed up, or closing)
  std::chrono::milliseconds renew_time() const;
  std::string next_token();

  boost::asio::any_io_executor ex;
  processor proc;
  worker_options opts;
  detail::queue_keys keys;
  std::shared_ptr<redis::connection> conn;      // scripts and commands
  std::shared_ptr<redis::connection> blocking;  // BZPOPMIN on the marker; named for getWorkers()
  std::unique_ptr<boost::asio::thread_pool> pool;
  boost::asio::steady_timer wakeup;
  boost::asio::steady_timer due_timer;  // the next delayed job is due: end the marker wait
  boost::asio::steady_timer closed_signal;
  std::map<std::string, running_job> running;
  // The processors running now, by job id, for the cancel watcher to stop.
  std::map<std::string, std::shared_ptr<processor_run>> runs;
  std::string worker_id;
  std::uint64_t token_counter = 0;
  std::uint64_t processed = 0;
  // Read by stats() from other threads.
  std::atomic<std::uint64_t> completed_count{0}, failed_count{0};
  std::atomic<std::size_t> busy{0};
  std::int64_t started_at_ms = 0;
  bool started = false;
  bool closing = false;
  bool drained = false;
  std::int64_t next_delayed_ms = 0;   // when the next delayed job is due, if known
  bool unblock_refused = false;       // CLIENT UNBLOCK is not allowed: no due timer
  clock::time_point rate_limited_until{};
  std::chrono::milliseconds error_backoff{0};
};

}  // namespace drover
