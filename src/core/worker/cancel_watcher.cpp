// cancel_watcher.cpp - notices cancellation requests (queue::cancel) for the jobs
// this worker runs and stops their processors.
//
// Requests live in the job hashes (see cancellation.hpp), so the watcher polls: every
// cancel_check_interval, one pipelined HGET per running job, and nothing at all while
// the worker is idle. A request made before the job started is seen by the job runner
// (the job hash comes with the job), and one made after the last poll is seen when the
// runner records the outcome: a completion goes through moveToFinished behind drover's
// guard (src/lua), which checks in the same atomic call; a failure checks first.
#include "core/worker/cancel_watcher.hpp"

#include <spdlog/spdlog.h>

#include "core/cancellation.hpp"
#include "core/redis_retry.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

net::awaitable<void> cancel_watcher::run() {
  auto self = shared_from_this();
  auto& s = *state_;
  // Keeps watching while close() waits for running jobs: a cancelled job should not
  // hold up a shutdown. Its ticks end early only for that: once the stop signal has
  // fired, when the last job leaves.
  while (!(s.stop.stopped() && s.running.empty())) {
    const auto tick = std::chrono::steady_clock::now() + s.opts.cancel_check_interval;
    if (!co_await s.stop.sleep_until(tick)) co_await s.running.wait_until_empty(tick);
    if (s.stop.stopped() && s.running.empty()) break;
    if (runner_->processors_running().empty()) continue;
    bool gone = false;
    try {
      co_await check();
    } catch (const error& e) {
      // The next tick tries again; a Redis outage is reported by the fetcher already.
      gone = e.is(errc::closed);  // the worker was destroyed without close()
      if (!gone && !is_redis_failure(e)) {
        spdlog::error("queue {}: cannot check for cancellations: {}", s.keys.queue(), e.what());
      }
    }
    if (gone) break;
  }
}

net::awaitable<void> cancel_watcher::check() {
  const auto& s = *state_;
  auto ids = runner_->processors_running();
  std::vector<redis::command> cmds;
  for (const auto& id : ids) cmds.push_back(redis::command{"HGET", s.keys.job(id), std::string(cancel_field)});
  if (cmds.empty()) co_return;
  auto replies = co_await s.conn->exec(std::move(cmds));
  for (std::size_t i = 0; i < ids.size() && i < replies.size(); ++i) {
    if (!replies[i].is_string()) continue;
    const auto* job_run = state_->running.find(ids[i]);
    const auto attempt = job_run ? job_run->attempt : std::int64_t{0};
    // The job may have ended while we waited: then the runner has nothing to stop.
    if (!runner_->cancel(ids[i], std::move(replies[i].str))) continue;
    spdlog::info("queue {}: job {} (attempt {}) is cancelled; stopping its processor", s.keys.queue(), ids[i], attempt);
  }
}

}  // namespace drover::detail
