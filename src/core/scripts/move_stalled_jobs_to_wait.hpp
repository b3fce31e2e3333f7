// move_stalled_jobs_to_wait.hpp - BullMQ's moveStalledJobsToWait: the stalled check.
//
// Contract: runs at most once per max check time queue-wide (the stalled-check key).
// Each run moves back to wait (or fails, past the max stalled count) the jobs the
// previous run suspected that still have no lock, adding "stalled" events, then
// suspects every active job anew. KEYS (9): stalled, wait, active, stalled-check,
// meta, paused, marker, events, repeat. ARGV (4): max stalled count, key prefix,
// timestamp, max check time (ms). Returns the ids of the jobs that stalled.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct move_stalled_jobs_to_wait {
  // KEYS
  std::string stalled, wait, active, stalled_check, meta, paused, marker, events, repeat;
  // ARGV
  std::int64_t max_stalled_count = 1;
  std::string prefix;
  std::int64_t timestamp = 0;
  std::int64_t max_check_time_ms = 0;  // the stalled interval

  static move_stalled_jobs_to_wait of(const queue_keys& k, std::int64_t max_stalled_count,
                                      std::int64_t stalled_interval_ms, std::int64_t now) {
    return {k.stalled, k.wait,   k.active,          k.stalled_check, k.meta, k.paused,           k.marker,
            k.events,  k.repeat, max_stalled_count, k.base(),        now,    stalled_interval_ms};
  }
  script_call pack() && {
    return {
        &lua::move_stalled_jobs_to_wait,
        {std::move(stalled), std::move(wait), std::move(active), std::move(stalled_check), std::move(meta),
         std::move(paused), std::move(marker), std::move(events), std::move(repeat), std::to_string(max_stalled_count),
         std::move(prefix), std::to_string(timestamp), std::to_string(max_check_time_ms)}};
  }
  using result = std::vector<std::string>;  // the ids that stalled
  result parse(const redis::reply& r) const {
    result ids;
    for (const auto& e : r.elements) ids.push_back(e.as_string());
    return ids;
  }
};

}  // namespace drover::detail::scripts
