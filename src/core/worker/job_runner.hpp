// job_runner.hpp - the worker's actor that runs jobs: it calls the processor, stops it on
// a timeout, a cancellation or a shutdown, and records how the job ended (completed,
// retried, or failed, then copied to the dead-letter queue).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/scripts/move_to_active.hpp"
#include "core/scripts/script_call.hpp"
#include "core/worker/event.hpp"
#include "core/worker/worker_state.hpp"
#include "drover/worker.hpp"
#include "redis/reply.hpp"

namespace drover::detail {

struct processor_run;  // job_runner.cpp

// It owns the processors' runs (by job id), the lock tokens and the worker's counters;
// it shares only the running table (it removes a job once its outcome is recorded) and
// the stop signal. The fetcher hands it jobs; the cancel watcher and close() ask it to
// stop processors.
// Thread safety: none, but the counters' getters, which any thread may call.
class job_runner : public std::enable_shared_from_this<job_runner> {
 public:
  job_runner(std::shared_ptr<worker_state> state, processor proc);

  // A new lock token: the worker's id and a sequence number.
  std::string next_token();

  // Runs one job (already in the running table) and records its outcome; the job then
  // leaves the table. `fetch_next` is asked when the outcome is recorded whether the
  // finishing call should fetch the next job too (one call per job, not two); the
  // answer of a finish that did is returned, for the fetcher to take.
  boost::asio::awaitable<std::optional<scripts::fetched>> run(job j, const std::string& token,
                                                              const std::function<bool()>& fetch_next);

  // The jobs whose processors run now (not those being recorded).
  std::vector<std::string> processors_running() const;
  // Stops a job's processor for a cancellation request (JSON, see cancellation.hpp).
  // Returns false when it no longer runs, or the request does not apply to its attempt.
  bool cancel(const std::string& id, std::string request);
  // Stops every processor still running (close() past its grace: cancellation::shutdown);
  // after a shutdown, run() starts no processor.
  void stop_all(cancellation why);

  std::uint64_t processed() const { return processed_; }  // finished, retried or failed
  std::uint64_t completed() const { return completed_.load(); }
  std::uint64_t failed() const { return failed_.load(); }  // for good

  // Waits for blocking processors still on the thread pool (the worker's destructor).
  void join_pool();
  // Returns once no blocking processor of the jobs `ids` runs on the pool, or at
  // `deadline` (then false). close() waits for those of the jobs it is about to hand back:
  // a processor thread cannot be stopped, only told to (cancelled()), and a job handed
  // back while its processor still ran was taken and run by another worker at the same
  // time (a library review). A processor of an attempt already ended (timed out) is not
  // waited for: its job is no longer this worker's.
  boost::asio::awaitable<bool> blocking_returned(std::vector<std::string> ids,
                                                 std::chrono::steady_clock::time_point deadline);
  std::size_t blocking_running(const std::vector<std::string>& ids) const;

 private:
  // Asks a running processor to stop (timeout or cancellation); the first reason wins.
  void stop_run(processor_run& run, cancellation why, std::string request);
  std::chrono::milliseconds timeout_of(const job& j) const;  // 0: none
  boost::json::array stack_traces(const job& j, std::string_view text, bool unrecoverable = false) const;
  boost::asio::awaitable<boost::json::value> call_processor(std::shared_ptr<processor_run> run);
  // Returns what the finish fetched when fetch_next. When a cancellation request was
  // waiting in the job's hash, records nothing and sets cancel_request instead.
  // `result_text` is `result` as JSON.
  boost::asio::awaitable<std::optional<scripts::fetched>> complete(const job& j, const std::string& token,
                                                                   const boost::json::value& result,
                                                                   std::string result_text, bool fetch_next,
                                                                   std::optional<std::string>& cancel_request);
  // A failure for good fetches the next job when fetch_next, as a completion does, and
  // returns what it fetched; a retried attempt returns nothing.
  boost::asio::awaitable<std::optional<scripts::fetched>> fail(const job& j, const std::string& token,
                                                               const std::string& reason, bool unrecoverable,
                                                               bool fetch_next = false);
  // After a finishing call that was not recorded: when it asked for the next job and got
  // no answer, it may have run and locked one for us, which goes back to wait.
  boost::asio::awaitable<void> hand_back_if_fetched(const job& j, const std::string& token, bool fetch_next,
                                                    bool unanswered);
  boost::asio::awaitable<void> put_off(const job& j, const std::string& token, std::int64_t until_ms);
  // A processor's wait_for_children (waiting_children.cpp).
  boost::asio::awaitable<void> wait_for_children_of(const job& j, const std::string& token);
  boost::asio::awaitable<std::optional<scripts::fetched>> hold_back(const job& j, const std::string& token,
                                                                    std::chrono::milliseconds pause);
  boost::asio::awaitable<void> fail_cancelled(const job& j, const std::string& token, const std::string& request);
  // After a retry was recorded: a request made meanwhile for the attempt that ended is
  // made again for the next one (cancellation.hpp).
  boost::asio::awaitable<void> carry_cancel_request(const job& j);
  // The job's pending cancellation request, if any. A Redis failure counts as none.
  // The job's cancellation request, when one applies to this attempt (cancellation.hpp).
  boost::asio::awaitable<std::optional<std::string>> find_cancel_request(std::string id, std::int64_t attempts_made);
  // Runs a finishing script (moveToFinished, moveToDelayed, retryJob): its reply, or
  // nothing when the outcome could not be recorded (logged). A negative code counts as
  // not recorded. `unanswered` (if given) says whether an attempt lost its reply to a
  // Redis failure: with nothing returned, Redis may have run that one; with a nil reply,
  // Redis holds the outcome (outcome_recorded) but no reply was read, so a job the call
  // may have fetched is unknown. `refusal` (if given) is the script's own refusal (a
  // negative code), when that was why nothing was recorded.
  boost::asio::awaitable<std::optional<redis::reply>> record(const job& j, const char* what, scripts::script_call call,
                                                             bool* unanswered = nullptr,
                                                             std::optional<error>* refusal = nullptr);
  // After a lost reply and a refused retry: whether Redis holds the outcome (the attempt
  // counted, the job finished or delayed: true; still active: false), or nothing when
  // that cannot be told.
  boost::asio::awaitable<std::optional<bool>> outcome_recorded(const job& j);

  std::shared_ptr<worker_state> state_;
  processor proc_;
  std::shared_ptr<tracer> tracer_;                  // null: tracing off
  std::unique_ptr<boost::asio::thread_pool> pool_;  // blocking processors only
  // Blocking processors between being handed to the pool and returning from it: counted
  // on the executor, the pool thread posting its return there.
  struct pool_gauge {
    explicit pool_gauge(boost::asio::any_io_executor ex) : returned(std::move(ex)) {}
    std::multiset<std::string> jobs;  // by job id, once per processor on the pool
    event returned;
  };
  std::shared_ptr<pool_gauge> on_pool_;
  std::map<std::string, std::shared_ptr<processor_run>> runs_;
  std::uint64_t token_counter_ = 0;
  std::uint64_t processed_ = 0;
  bool shut_down_ = false;                               // stop_all(shutdown) was called: no processor starts
  std::atomic<std::uint64_t> completed_{0}, failed_{0};  // read by worker::stats() from other threads
};

}  // namespace drover::detail
