// manual_worker.hpp - takes jobs one at a time for a program that runs them itself, as
// Node's Worker without a processor: getNextJob(token), then job.moveToCompleted,
// job.moveToFailed or job.extendLock with the same token.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "drover/error.hpp"
#include "drover/job.hpp"
#include "drover/worker.hpp"

namespace drover {

// The caller owns each job it takes: it picks the token that locks it (any string unique
// to this holder; Node's examples use a UUID), finishes it with that token, and renews
// the lock itself (extend_lock) when the work may outlast worker_options::lock_duration.
// Nothing runs in the background: no lock renewal and no stalled check (leave that to a
// worker of the queue, or a job whose lock expires stays in active). Jobs move in Redis
// exactly as Node's moveToActive and moveToFinished move them, so Node and drover see
// them the same way.
//
// Of worker_options it uses: prefix, redis, lock_duration (each take's lock), limiter,
// name (processedBy), remove_on_complete and remove_on_fail, metrics_max_data_points,
// max_started_attempts and backoff_strategy (move_to_failed's retry decision).
// Cancellation requests (queue::cancel) are not looked at, as Node's workers do not.
//
// Thread safety: none; call it from the executor it was made with, one handler at a
// time (a strand when several threads run the io_context: see worker.hpp).
class manual_worker {
 public:
  // Throws drover::error(invalid_argument) for a bad queue name or options.
  manual_worker(boost::asio::any_io_executor ex, std::string queue, worker_options opts = {});
  ~manual_worker();
  manual_worker(const manual_worker&) = delete;
  manual_worker& operator=(const manual_worker&) = delete;

  // Moves the next job to active, locked with `token` for lock_duration, and returns it
  // (Node's worker.getNextJob(token)). std::nullopt when none is ready, the queue is
  // paused or a rate limit holds. With `block` above 0, waits up to that long for a job
  // on the queue's marker, as Node's blocking fetch does, instead of answering at once.
  boost::asio::awaitable<std::optional<job>> get_next_job(std::string token, std::chrono::milliseconds block = {});

  // Records `j` completed with `value` and releases its lock (Node's
  // job.moveToCompleted(value, token, fetchNext)); with fetch_next, takes the next job in
  // the same call, locked with the same token, and returns it. Throws drover::error:
  // lock_missing, lock_mismatch (another token holds it), not_in_state, job_not_found.
  boost::asio::awaitable<std::optional<job>> move_to_completed(const job& j, boost::json::value value,
                                                               std::string token, bool fetch_next = true);

  // Records a failed attempt of `j` (Node's job.moveToFailed(err, token, fetchNext)): it
  // is retried, after its backoff or at once, while attempts remain, else it fails for
  // good; `unrecoverable` fails it for good at once (Node's UnrecoverableError). With
  // fetch_next, then takes the next job for `token`. Throws as move_to_completed.
  boost::asio::awaitable<std::optional<job>> move_to_failed(const job& j, std::string reason, std::string token,
                                                            bool fetch_next = false, bool unrecoverable = false);

  // Renews `j`'s lock for `duration` from now (Node's job.extendLock(token, duration)).
  // Throws drover::error(lock_missing) when `token` no longer holds it.
  boost::asio::awaitable<void> extend_lock(const job& j, std::string token, std::chrono::milliseconds duration);

  // Closes the connections; a blocked get_next_job ends with errc::closed.
  void close();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace drover
