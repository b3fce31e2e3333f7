// update_job_scheduler.hpp - BullMQ's updateJobScheduler: adds a scheduler's next
// iteration when a worker takes the current one.
//
// Contract: when the scheduler still exists and the iteration that produced this call
// is its current one, adds the next iteration "repeat:<id>:<millis>" as a delayed job
// (computing the run itself for `every`) and moves the scheduler's score to it.
// KEYS (12): repeat, delayed, wait, paused, meta, prioritized, marker, id, events, pc,
// the producer job's hash, active. ARGV (7): next run ms ("" for every), scheduler
// id, data (JSON), msgpacked options of the delayed job, timestamp, key prefix,
// producer job id. Returns the new job's id; nothing when the scheduler is gone or the
// iteration was made already; a negative code on failure.
#pragma once

#include <optional>

#include "core/job_scheduler.hpp"
#include "core/keys.hpp"
#include "core/scripts/scheduler_keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct update_job_scheduler {
  // KEYS
  scheduler_keys scheduler;
  std::string producer_key, active;
  // ARGV
  std::optional<std::int64_t> next_millis;  // unset for `every`: the script computes it
  std::string scheduler_id;
  std::string data;      // JSON text
  std::string job_opts;  // msgpacked: the delayed job's options
  std::int64_t timestamp = 0;
  std::string prefix;
  std::string producer_id;  // the job that a worker took; also names it in errors

  static update_job_scheduler of(const queue_keys& k, const scheduler_request& req, const scheduler_plan& plan,
                                 const std::string& producer_id);
  script_call pack() &&;
  // The next job's id, or nothing; throws for a negative code.
  using result = std::optional<std::string>;
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
