// lock_renewer.cpp - keeps the locks of running jobs alive until they finish.
//
// It runs on the worker's executor, never on a processor's thread, so a processor
// that burns CPU on the pool cannot starve it (the way a busy Node event loop
// starves BullMQ's renewal timer).
#include "core/worker/lock_renewer.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/script_runner.hpp"
#include "core/scripts/extend_locks.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover::detail {

std::chrono::milliseconds lock_renewer::renew_time() const {
  const auto& o = state_->opts;
  return o.lock_renew_time.count() > 0 ? o.lock_renew_time : o.lock_duration / 2;
}

net::awaitable<bool> lock_renewer::next_round(std::chrono::milliseconds pause) {
  auto& s = *state_;
  if (!s.stop.stopped()) {
    co_await s.stop.sleep(pause);
    if (!s.stop.stopped()) co_return true;
  }
  // Closing: the stop signal ends fetching, not renewal. close() waits for the running
  // jobs up to its grace, which may outlast a lock; their locks stay theirs until they
  // finish or are handed back, or another worker's stalled check would run them again
  // meanwhile.
  // The wait ends early when the table empties (the last job ends, or close() hands the
  // rest back), so that nothing is left pending on the executor after close().
  if (s.running.empty() || s.conn->is_closed()) co_return false;
  const auto until = std::chrono::steady_clock::now() + pause;
  const bool emptied = co_await s.running.wait_until_empty(until);
  co_return !emptied && !s.conn->is_closed();
}

net::awaitable<void> lock_renewer::run() {
  auto self = shared_from_this();
  auto& s = *state_;
  const auto half = renew_time() / 2;
  // Wakes every half renew time and renews the locks older than that, as BullMQ does.
  while (co_await next_round(half)) {
    std::vector<std::string> ids, tokens;
    auto due = std::chrono::steady_clock::now() - half;
    for (const auto& [id, r] : s.running.jobs()) {
      if (r.renewed_at <= due && !r.lock_lost) {
        ids.push_back(id);
        tokens.push_back(r.token);
      }
    }
    if (ids.empty()) continue;
    auto started = std::chrono::steady_clock::now();
    try {
      auto call = scripts::extend_locks::of(s.keys, ids, std::move(tokens), s.opts.lock_duration.count());
      auto failed = co_await scripts::run(*s.conn, std::move(call));
      for (const auto& id : ids) {
        auto* r = s.running.find(id);
        if (!r) continue;
        if (std::find(failed.begin(), failed.end(), id) != failed.end()) {
          r->lock_lost = true;
          spdlog::warn("queue {}: job {} (attempt {}): lock lost: another worker may run it again", s.keys.queue(), id,
                       r->attempt);
        } else {
          r->renewed_at = started;
        }
      }
    } catch (const error& e) {
      spdlog::warn("queue {}: cannot renew {} lock(s): {}", s.keys.queue(), ids.size(), e.what());
    }
  }
}

}  // namespace drover::detail
