// move_jobs_to_wait.hpp - BullMQ's moveJobsToWait: moves a batch of failed, completed or
// delayed jobs back to wait (retry_jobs, promote_jobs).
//
// Contract: takes up to `count` jobs older than the timestamp from the state's set,
// clears what their run left in their hashes, pushes them onto wait (paused when the
// queue is paused) and adds a "waiting" event each; jobs with a priority are not
// supported. KEYS (8): key prefix, events, the state's set, wait, paused, meta, active,
// marker. ARGV (3): count, timestamp, the state. Returns 1 while jobs are left, 0 when done.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct move_jobs_to_wait {
  // KEYS
  std::string prefix, events, state_set, wait, paused, meta, active, marker;
  // ARGV
  std::int64_t count = 1000;
  std::string timestamp;  // ms; a number as text, so that delayed can pass Number.MAX_VALUE
  std::string state;      // "failed", "completed" or "delayed"

  static move_jobs_to_wait of(const queue_keys& k, std::string state, std::int64_t count, std::string timestamp) {
    return {k.base(), k.events, k.state(state),       k.wait,          k.paused, k.meta, k.active,
            k.marker, count,    std::move(timestamp), std::move(state)};
  }
  script_call pack() && {
    return {&lua::move_jobs_to_wait,
            {std::move(prefix), std::move(events), std::move(state_set), std::move(wait), std::move(paused),
             std::move(meta), std::move(active), std::move(marker), std::to_string(count), std::move(timestamp),
             std::move(state)}};
  }
  // Whether jobs are left to move.
  using result = bool;
  result parse(const redis::reply& r) const { return expect_code(r, lua::move_jobs_to_wait, "") != 0; }
};

}  // namespace drover::detail::scripts
