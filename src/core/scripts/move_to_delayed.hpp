// move_to_delayed.hpp - BullMQ's moveToDelayed: active -> delayed, for a retry after a
// backoff.
//
// Contract: checks and releases the job's lock, takes it out of active, writes the job
// fields, scores it in delayed for timestamp + delay, counts the attempt unless told
// to skip it, and adds a "delayed" event. KEYS (11): marker, active, prioritized,
// delayed, job hash, events, meta, stalled, wait, limiter, pc. ARGV (9): key prefix,
// timestamp, job id, token, delay (ms), skip attempt ("1"/"0"), msgpacked job fields,
// fetch next ("1"/"0"), msgpacked fetch options ("" without fetch next). Returns 0, or
// -1 missing job, -2 missing lock, -3 not active, -6 lock held by another token.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct move_to_delayed {
  // KEYS
  std::string marker, active, prioritized, delayed, job_key, events, meta, stalled, wait, limiter, pc;
  // ARGV
  std::string prefix;
  std::int64_t timestamp = 0;
  std::string job_id;
  std::string token;
  std::int64_t delay_ms = 0;
  bool skip_attempt = false;
  std::string fields;  // job_fields(...)
  // drover never fetches with this script: fetch next "0", options "".
  // No parse(): the reply, a code, is checked by job_runner::record for every
  // finishing script.

  static move_to_delayed of(const queue_keys& k, std::string id, std::string token, std::int64_t delay_ms,
                            std::string fields, std::int64_t now) {
    return {k.marker, k.active,      k.prioritized,    k.delayed, k.job(id), k.events,
            k.meta,   k.stalled,     k.wait,           k.limiter, k.pc,      k.base(),
            now,      std::move(id), std::move(token), delay_ms,  false,     std::move(fields)};
  }
  script_call pack() && {
    return {&lua::move_to_delayed,
            {std::move(marker),
             std::move(active),
             std::move(prioritized),
             std::move(delayed),
             std::move(job_key),
             std::move(events),
             std::move(meta),
             std::move(stalled),
             std::move(wait),
             std::move(limiter),
             std::move(pc),
             std::move(prefix),
             std::to_string(timestamp),
             job_id,
             std::move(token),
             std::to_string(delay_ms),
             flag(skip_attempt),
             std::move(fields),
             flag(false),
             ""}};
  }
};

}  // namespace drover::detail::scripts
