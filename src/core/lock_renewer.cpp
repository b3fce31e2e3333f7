// lock_renewer.cpp - keeps the locks of running jobs alive until they finish.
//
// It runs on the worker's executor, never on a processor's thread, so a processor
// that burns CPU on the pool cannot starve it (the way a busy Node event loop
// starves BullMQ's renewal timer).
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/scripts/extend_locks.hpp"
#include "core/worker_impl.hpp"
#include "drover/error.hpp"

namespace net = boost::asio;

namespace drover {

net::awaitable<void> worker::impl::lock_renewer() {
  auto self = shared_from_this();
  const auto half = renew_time() / 2;
  // Wakes every half renew time and renews the locks older than that, as BullMQ does.
  while (co_await sleep(half)) {
    std::vector<std::string> ids, tokens;
    auto due = clock::now() - half;
    for (const auto& [id, r] : running) {
      if (r.renewed_at <= due && !r.lock_lost) {
        ids.push_back(id);
        tokens.push_back(r.token);
      }
    }
    if (ids.empty()) continue;
    auto started = clock::now();
    try {
      auto call = detail::scripts::extend_locks::of(keys, ids, std::move(tokens), opts.lock_duration.count());
      auto failed = co_await detail::scripts::run(*conn, std::move(call));
      for (const auto& id : ids) {
        auto it = running.find(id);
        if (it == running.end()) continue;
        if (std::find(failed.begin(), failed.end(), id) != failed.end()) {
          it->second.lock_lost = true;
          spdlog::warn("queue {}: job {} (attempt {}): lock lost: another worker may run it again", keys.queue(), id,
                       it->second.attempt);
        } else {
          it->second.renewed_at = started;
        }
      }
    } catch (const error& e) {
      spdlog::warn("queue {}: cannot renew {} lock(s): {}", keys.queue(), ids.size(), e.what());
    }
  }
}

}  // namespace drover
