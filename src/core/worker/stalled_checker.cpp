// stalled_checker.cpp - puts back the jobs of workers that died.
//
// Each check moves to wait the active jobs that were already suspected at the
// previous check and still have no lock, then suspects every active job anew; the
// script throttles itself queue-wide (stalled-check key), so many workers running it
// cost no more than one.
#include "core/worker/stalled_checker.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/scripts/move_stalled_jobs_to_wait.hpp"
#include "core/script_runner.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

net::awaitable<void> stalled_checker::check() {
  const auto& k = state_->keys;
  const auto& o = state_->opts;
  const auto& conn = state_->conn;
  auto call = scripts::move_stalled_jobs_to_wait::of(k, o.max_stalled_count, o.stalled_interval.count(), now_ms());
  auto stalled = co_await scripts::run(*conn, std::move(call));
  for (const auto& id : stalled) {
    // The attempt that stalled, numbered as the job runner numbers them (attempts made,
    // plus one; a stall is not an attempt): one more round trip, only when a job stalled.
    // Not "ats": another worker may already have started the job again.
    // With the reason BullMQ's script left for a job that stalled too often ("defa"): it
    // is moved back to wait all the same, and fails when a worker next takes it; the line
    // said "recovered" then (a review of long jobs).
    std::string attempt = "?", failing;
    try {
      redis::command read{"HMGET", k.job(id), "atm", "defa"};
      auto fields = co_await conn->exec(std::move(read));
      if (fields.is_array() && fields.elements.size() == 2) {
        attempt = std::to_string(fields.elements[0].as_int().value_or(0) + 1);
        if (fields.elements[1].is_string()) failing = fields.elements[1].as_string();
      }
    } catch (const error&) {
    }
    if (failing.empty()) {
      spdlog::warn(
          "queue {}: job {} (attempt {}) stalled (its worker stopped renewing the lock); recovered: moved back "
          "to wait",
          k.queue(), id, attempt);
    } else {
      spdlog::warn(
          "queue {}: job {} (attempt {}) stalled (its worker stopped renewing the lock) more often than allowed: "
          "moved back to wait to fail when next taken ({})",
          k.queue(), id, attempt, failing);
    }
    notify(*state_, "stalled", state_->events.stalled, id);
  }
}

net::awaitable<void> stalled_checker::run() {
  auto self = shared_from_this();
  auto& s = *state_;
  do {
    try {
      co_await check();
    } catch (const error& e) {
      if (!s.stop.stopped()) {
        spdlog::warn("queue {}: stalled check failed: {}", s.keys.queue(), e.what());
        notify(s, "error", s.events.error, e);
      }
    }
  } while (co_await s.stop.sleep(s.opts.stalled_interval));
}

}  // namespace drover::detail
