// move_job_from_active_to_wait.hpp - BullMQ's moveJobFromActiveToWait: hands a running
// job back (a worker closing before its jobs finished).
//
// Contract: checks and releases the job's lock; when the job was in active, pushes it
// back onto wait (prioritized when it has a priority) and adds a "waiting" event.
// KEYS (9): active, wait, stalled, paused, meta, limiter, prioritized, marker, events.
// ARGV (3): job id, token, job hash. Returns the limiter's ttl (ms, 0 when not
// limited), or -1 missing job, -2 missing lock, -6 lock held by another token.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct move_job_from_active_to_wait {
  // KEYS
  std::string active, wait, stalled, paused, meta, limiter, prioritized, marker, events;
  // ARGV
  std::string job_id, token, job_key;

  static move_job_from_active_to_wait of(const queue_keys& k, std::string id, std::string token) {
    return {k.active,      k.wait,   k.stalled, k.paused, k.meta,           k.limiter,
            k.prioritized, k.marker, k.events,  id,       std::move(token), k.job(id)};
  }
  script_call pack() && {
    return {
        &lua::move_job_from_active_to_wait,
        {std::move(active), std::move(wait), std::move(stalled), std::move(paused), std::move(meta), std::move(limiter),
         std::move(prioritized), std::move(marker), std::move(events), job_id, std::move(token), std::move(job_key)}};
  }
  // The limiter's remaining time in ms (a rate-limited job goes back for it; <= 0: none).
  // Nothing else is checked: the worker hands back what it can while closing.
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return r.as_int().value_or(0); }
};

}  // namespace drover::detail::scripts
