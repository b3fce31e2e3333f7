// promote.hpp - BullMQ's promote: starts a delayed job now.
//
// Contract: takes the job out of delayed, pushes it onto wait (paused when the queue is
// paused; prioritized when it has a priority), clears its delay and adds a "waiting"
// event. KEYS (9): delayed, wait, paused, meta, prioritized, active, pc, events, marker.
// ARGV (2): key prefix, job id. Returns 0, or -3 when the job is not delayed.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct promote {
  // KEYS
  std::string delayed, wait, paused, meta, prioritized, active, pc, events, marker;
  // ARGV
  std::string prefix;
  std::string job_id;  // also names the job in errors

  static promote of(const queue_keys& k, std::string id) {
    return {k.delayed, k.wait,   k.paused, k.meta,   k.prioritized, k.active,
            k.pc,      k.events, k.marker, k.base(), std::move(id)};
  }
  script_call pack() && {
    return {&lua::promote,
            {std::move(delayed), std::move(wait), std::move(paused), std::move(meta), std::move(prioritized),
             std::move(active), std::move(pc), std::move(events), std::move(marker), std::move(prefix), job_id}};
  }
  // Throws for -3 (not delayed).
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::promote, job_id, "delayed"); }
};

}  // namespace drover::detail::scripts
