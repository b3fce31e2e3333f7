// cancel_watcher.cpp - notices cancellation requests (queue::cancel) for the jobs
// this worker runs and stops their processors.
//
// Requests live in the job hashes (see cancellation.hpp), so the watcher polls: every
// cancel_check_interval, one pipelined HGET per running job, and nothing at all while
// the worker is idle. A request made before the job started is seen by the job runner
// (the job hash comes with the job), and one made after the last poll is seen when the
// runner records the outcome: a completion goes through moveToFinished behind drover's
// guard (src/lua), which checks in the same atomic call; a failure checks first.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/cancellation.hpp"
#include "core/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

net::awaitable<void> worker::impl::cancel_watcher() {
  auto self = shared_from_this();
  net::steady_timer t(ex);
  // Keeps watching while close() waits for running jobs: a cancelled job should not
  // hold up a shutdown.
  while (!(closing && running.empty())) {
    t.expires_after(opts.cancel_check_interval);
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (runs.empty()) continue;
    bool gone = false;
    try {
      co_await check_cancel_requests();
    } catch (const error& e) {
      // The next tick tries again; a Redis outage is reported by the fetcher already.
      gone = e.is(errc::closed);  // the worker was destroyed without close()
      if (!gone && !is_redis_failure(e)) {
        spdlog::error("queue {}: cannot check for cancellations: {}", keys.queue(), e.what());
      }
    }
    if (gone) break;
  }
}

net::awaitable<void> worker::impl::check_cancel_requests() {
  std::vector<std::string> ids;
  std::vector<redis::command> cmds;
  for (const auto& [id, r] : runs) {
    ids.push_back(id);
    cmds.push_back(redis::command{"HGET", keys.job(id), std::string(detail::cancel_field)});
  }
  if (cmds.empty()) co_return;
  auto replies = co_await conn->exec(std::move(cmds));
  for (std::size_t i = 0; i < ids.size() && i < replies.size(); ++i) {
    if (!replies[i].is_string()) continue;
    auto it = runs.find(ids[i]);  // the job may have ended while we waited
    if (it == runs.end()) continue;
    auto job_run = running.find(ids[i]);
    spdlog::info("queue {}: job {} (attempt {}) is cancelled; stopping its processor", keys.queue(), ids[i],
                 job_run == running.end() ? std::int64_t{0} : job_run->second.attempt);
    stop_run(*it->second, cancellation::cancelled, std::move(replies[i].str));
  }
}

net::awaitable<std::optional<std::string>> worker::impl::find_cancel_request(std::string id) {
  redis::command cmd{"HGET", keys.job(id), std::string(detail::cancel_field)};
  std::optional<std::string> found;
  try {
    auto r = co_await conn->exec(std::move(cmd));
    if (r.is_string()) found = std::move(r.str);
  } catch (const error& e) {
    // Recording the outcome will meet the same outage and retry; a request made in
    // this window is the one case a drover worker misses.
    spdlog::warn("queue {}: job {}: cannot check for a cancellation: {}", keys.queue(), id, e.what());
  }
  co_return found;
}

}  // namespace drover
