// extend_locks.hpp - BullMQ's extendLocks: renews the locks of a worker's running jobs.
//
// Contract: for each job whose lock still holds the token, sets the lock to expire in
// lockDuration and takes the job out of the stalled set. KEYS (1): stalled. ARGV (4):
// key prefix, msgpacked tokens, msgpacked job ids (same order), lock duration (ms).
// Returns the ids whose lock could not be renewed.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct extend_locks {
  // KEYS
  std::string stalled;
  // ARGV
  std::string prefix;
  std::vector<std::string> tokens, job_ids;  // one token per job
  std::int64_t lock_duration_ms = 0;

  static extend_locks of(const queue_keys& k, std::vector<std::string> job_ids, std::vector<std::string> tokens,
                         std::int64_t lock_duration_ms) {
    return {k.stalled, k.base(), std::move(tokens), std::move(job_ids), lock_duration_ms};
  }
  script_call pack() &&;
  using result = std::vector<std::string>;  // the ids whose lock is lost
  result parse(const redis::reply& r) const {
    result failed;
    for (const auto& e : r.elements) failed.push_back(e.as_string());
    return failed;
  }
};

}  // namespace drover::detail::scripts
