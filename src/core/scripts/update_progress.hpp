// update_progress.hpp - BullMQ's updateProgress: stores a job's progress and announces it.
//
// Contract: sets the job hash's "progress" field and adds a "progress" event to the
// stream. KEYS (3): job hash, events, meta. ARGV (2): job id, progress as JSON.
// Returns 0, or -1 when the job is missing.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct update_progress {
  // KEYS
  std::string job_key, events, meta;
  // ARGV
  std::string job_id;    // also names the job in errors
  std::string progress;  // JSON text

  static update_progress of(const queue_keys& k, std::string id, std::string progress_json) {
    return {k.job(id), k.events, k.meta, id, std::move(progress_json)};
  }
  script_call pack() && {
    return {&lua::update_progress,
            {std::move(job_key), std::move(events), std::move(meta), job_id, std::move(progress)}};
  }
  // Throws for -1 (the job is missing).
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::update_progress, job_id); }
};

}  // namespace drover::detail::scripts
