// stalled_checker.cpp - puts back the jobs of workers that died.
//
// Each check moves to wait the active jobs that were already suspected at the
// previous check and still have no lock, then suspects every active job anew; the
// script throttles itself queue-wide (stalled-check key), so many workers running it
// cost no more than one.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/scripts/move_stalled_jobs_to_wait.hpp"
#include "core/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

net::awaitable<void> worker::impl::check_stalled() {
  const auto& k = keys;
  auto call = detail::scripts::move_stalled_jobs_to_wait::of(k, opts.max_stalled_count, opts.stalled_interval.count(),
                                                              detail::now_ms());
  auto stalled = co_await detail::scripts::run(*conn, std::move(call));
  for (const auto& id : stalled) {
    // The attempt that stalled, numbered as the job runner numbers them (attempts made,
    // plus one; a stall is not an attempt): one more round trip, only when a job stalled.
    // Not "ats": another worker may already have started the job again.
    std::string attempt = "?";
    try {
      redis::command made{"HGET", k.job(id), "atm"};
      auto atm = co_await conn->exec(std::move(made));
      attempt = std::to_string(atm.as_int().value_or(0) + 1);
    } catch (const error&) {
    }
    spdlog::warn("queue {}: job {} (attempt {}) stalled (its worker stopped renewing the lock); recovered: moved back "
                 "to wait",
                 k.queue(), id, attempt);
  }
}

net::awaitable<void> worker::impl::stalled_checker() {
  auto self = shared_from_this();
  do {
    try {
      co_await check_stalled();
    } catch (const error& e) {
      if (!closing) spdlog::warn("queue {}: stalled check failed: {}", keys.queue(), e.what());
    }
  } while (co_await sleep(opts.stalled_interval));
}

}  // namespace drover
