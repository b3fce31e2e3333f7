// reprocess_job.hpp - BullMQ's reprocessJob: moves a completed or failed job back to wait.
//
// Contract: takes the job out of its finished set, clears its result (or failure),
// finishedOn and processedOn (and, asked to, attemptsMade and attemptsStarted), pushes
// it onto wait (or prioritized) and adds a "waiting" event. KEYS (9): job hash, events,
// the finished set it is in, wait, meta, active, marker, prioritized, pc. ARGV (6): job
// id, "LPUSH" or "RPUSH" (lifo), the field to clear ("returnvalue"/"failedReason"),
// the state it was in, reset attemptsMade, reset attemptsStarted ("1"/"0"). Returns 1,
// or -1 missing job, -3 not in that state.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct reprocess_job {
  // KEYS
  std::string job_key, events, state_set, wait, meta, active, marker, prioritized, pc;
  // ARGV
  std::string job_id;  // also names the job in errors
  bool lifo = false;
  std::string state;  // "failed" or "completed"; also names the state in errors
  bool reset_attempts_made = false;
  bool reset_attempts_started = false;

  static reprocess_job of(const queue_keys& k, std::string id, std::string state, bool lifo) {
    return {k.job(id), k.events, k.state(state), k.wait,           k.meta, k.active, k.marker, k.prioritized,
            k.pc,      id,       lifo,           std::move(state), false,  false};
  }
  script_call pack() && {
    return {&lua::reprocess_job,
            {std::move(job_key), std::move(events), std::move(state_set), std::move(wait), std::move(meta),
             std::move(active), std::move(marker), std::move(prioritized), std::move(pc), job_id,
             lifo ? "RPUSH" : "LPUSH", state == "failed" ? "failedReason" : "returnvalue", state,
             flag(reset_attempts_made), flag(reset_attempts_started)}};
  }
  // Throws for -1 and -3.
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::reprocess_job, job_id, state); }
};

}  // namespace drover::detail::scripts
