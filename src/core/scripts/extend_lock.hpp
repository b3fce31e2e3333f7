// extend_lock.hpp - BullMQ's extendLock: renews one job's lock for a given time (Node's
// job.extendLock(token, duration)).
//
// Contract: when the job's lock holds the token, sets it to expire in the given time
// and takes the job out of the stalled set. KEYS (2): the job's lock, stalled. ARGV
// (3): token, duration (ms), job id. Returns 1 when extended, 0 when the lock is gone
// or held by another token.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct extend_lock {
  // KEYS
  std::string lock, stalled;
  // ARGV
  std::string token;
  std::int64_t duration_ms = 0;
  std::string job_id;

  static extend_lock of(const queue_keys& k, std::string id, std::string token, std::int64_t duration_ms) {
    return {k.lock(id), k.stalled, std::move(token), duration_ms, std::move(id)};
  }
  script_call pack() && {
    return {&lua::extend_lock,
            {std::move(lock), std::move(stalled), std::move(token), std::to_string(duration_ms), job_id}};
  }
  using result = bool;  // whether the lock was ours and is extended
  result parse(const redis::reply& r) const { return r.as_int().value_or(0) == 1; }
};

}  // namespace drover::detail::scripts
