// change_delay.hpp - BullMQ's changeDelay: gives a delayed job a new delay from now.
//
// Contract: re-scores the job in delayed for timestamp + delay, stores the delay in its
// hash, wakes a waiting worker through the marker and adds a "delayed" event. KEYS (4):
// delayed, meta, marker, events. ARGV (4): delay (ms), timestamp (ms), job id, job hash.
// Returns 0, or -1 missing job, -3 not delayed.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct change_delay {
  // KEYS
  std::string delayed, meta, marker, events;
  // ARGV
  std::int64_t delay_ms = 0;
  std::int64_t timestamp = 0;  // now, ms
  std::string job_id;          // also names the job in errors
  std::string job_key;

  static change_delay of(const queue_keys& k, std::string id, std::int64_t delay_ms, std::int64_t now) {
    return {k.delayed, k.meta, k.marker, k.events, delay_ms, now, id, k.job(id)};
  }
  script_call pack() && {
    return {&lua::change_delay,
            {std::move(delayed), std::move(meta), std::move(marker), std::move(events), std::to_string(delay_ms),
             std::to_string(timestamp), job_id, std::move(job_key)}};
  }
  // Throws for -1 and -3.
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::change_delay, job_id, "delayed"); }
};

}  // namespace drover::detail::scripts
