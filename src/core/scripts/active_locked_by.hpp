// active_locked_by.hpp - drover's activeLockedBy (src/lua/activeLockedBy-1.lua): the jobs
// in active locked with a token.
//
// Contract: read-only; for each id in the active list, compares the job's lock
// (<prefix><id>:lock) with the token. KEYS (1): active. ARGV (2): the queue's key prefix
// ("bull:<queue>:"), the token. Returns the matching ids in the list's order. The worker
// asks it after a fetching moveToFinished whose reply was lost (job_runner).
#pragma once

#include <string>
#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct active_locked_by {
  // KEYS
  std::string active;
  // ARGV
  std::string prefix, token;

  static active_locked_by of(const queue_keys& k, std::string token) { return {k.active, k.base(), std::move(token)}; }
  script_call pack() && { return {&lua::active_locked_by, {std::move(active), std::move(prefix), std::move(token)}}; }
  using result = std::vector<std::string>;
  // Throws error(protocol_error) for a reply that is not a list.
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
