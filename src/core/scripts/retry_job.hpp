// retry_job.hpp - BullMQ's retryJob: active -> wait, for a retry without delay.
//
// Contract: checks and releases the job's lock, takes it out of active, writes the job
// fields, counts the attempt, pushes the job onto wait (paused when the queue is
// paused; prioritized when it has a priority) and adds a "waiting" event. KEYS (11):
// active, wait, paused, job hash, meta, events, delayed, prioritized, pc, marker,
// stalled. ARGV (6): key prefix, timestamp, "LPUSH" or "RPUSH" (lifo), job id, token,
// msgpacked job fields. Returns 0, or -1 missing job, -2 missing lock, -3 not active.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct retry_job {
  // KEYS
  std::string active, wait, paused, job_key, meta, events, delayed, prioritized, pc, marker, stalled;
  // ARGV
  std::string prefix;
  std::int64_t timestamp = 0;
  bool lifo = false;
  std::string job_id;
  std::string token;
  std::string fields;  // job_fields(...)
  // No parse(): the reply, a code, is checked by job_runner::record for every
  // finishing script.

  static retry_job of(const queue_keys& k, std::string id, std::string token, bool lifo, std::string fields,
                      std::int64_t now) {
    return {k.active, k.wait,    k.paused, k.job(id), k.meta, k.events,      k.delayed,        k.prioritized,    k.pc,
            k.marker, k.stalled, k.base(), now,       lifo,   std::move(id), std::move(token), std::move(fields)};
  }
  script_call pack() && {
    return {&lua::retry_job,
            {std::move(active), std::move(wait), std::move(paused), std::move(job_key), std::move(meta),
             std::move(events), std::move(delayed), std::move(prioritized), std::move(pc), std::move(marker),
             std::move(stalled), std::move(prefix), std::to_string(timestamp), lifo ? "RPUSH" : "LPUSH", job_id,
             std::move(token), std::move(fields)}};
  }
};

}  // namespace drover::detail::scripts
