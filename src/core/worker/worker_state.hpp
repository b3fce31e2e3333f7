// worker_state.hpp - what a worker's actors share: their settings and command connection,
// which none of them changes, and the two things they do change together, the table of
// running jobs and the stop signal. Everything else belongs to one actor.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "core/keys.hpp"
#include "core/worker/running_jobs.hpp"
#include "core/worker/stop_signal.hpp"
#include "drover/worker.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

struct worker_state {
  worker_state(boost::asio::any_io_executor ex, std::string queue, worker_options opts);

  boost::asio::any_io_executor ex;
  worker_options opts;
  queue_keys keys;
  std::shared_ptr<redis::connection> conn;  // scripts and commands; the fetcher has its own for BZPOPMIN
  std::string id;                           // this worker's, in lock tokens and its status report
  stop_signal stop;
  running_jobs running;
  worker_events events;  // set before start, read only after
  // Set once `closed` was called or the worker destroyed: nothing calls the owner after
  // that, though a job's outcome may still be being recorded (an owner destroyed the
  // object its callbacks used once close() returned, and an `error` came after).
  std::atomic<bool> callbacks_ended{false};  // ~worker may run on another thread
  // No job is fetched before this: a processor's rate_limited sets it before its job goes
  // back to wait, so that no other slot of this worker, woken by the job's return, takes
  // it again at once (one did, 1 ms later, at concurrency 2).
  std::chrono::steady_clock::time_point fetches_held_until{};
};

// The longest a worker waits on a rate limit before it asks Redis again (BullMQ's
// maximumRateLimitDelay): the limiter key may be removed meanwhile.
inline constexpr std::chrono::milliseconds max_rate_limit_wait{30000};

// Calls one of the owner's callbacks, if set. One that throws is logged: the owner's
// mistake never fails a job or an actor.
template <class Callback, class... Args>
void notify(const worker_state& s, const char* event, const Callback& callback, Args&&... args) {
  if (!callback || s.callbacks_ended) return;
  try {
    callback(std::forward<Args>(args)...);
  } catch (const std::exception& e) {
    spdlog::error("queue {}: the worker's {} callback threw: {}", s.keys.queue(), event, e.what());
  } catch (...) {
    spdlog::error("queue {}: the worker's {} callback threw", s.keys.queue(), event);
  }
}

}  // namespace drover::detail
