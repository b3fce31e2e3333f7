// rate_limit_key.hpp - holding a queue's rate-limited workers back by hand: the limiter
// key set to a count no limit allows, expiring after the pause, as Node's
// queue.rateLimit and worker.rateLimit write it (Number.MAX_SAFE_INTEGER).
#pragma once

#include <chrono>

#include "core/keys.hpp"
#include "redis/command.hpp"

namespace drover::detail {

inline redis::command hold_rate_limited(const queue_keys& k, std::chrono::milliseconds pause) {
  redis::command set{"SET", k.limiter};
  set.push(std::int64_t{9007199254740991}).push("PX").push(static_cast<std::int64_t>(pause.count()));
  return set;
}

}  // namespace drover::detail
