// add_job_scheduler.hpp - BullMQ's addJobScheduler: creates or replaces a job scheduler
// and adds its next iteration as a delayed job (queue::upsert_job_scheduler).
//
// Contract: stores the scheduler (score: next run, hash: its options and template) in
// repeat, removes the delayed job of a previous version of it, and adds the iteration
// "repeat:<id>:<millis>" as addDelayedJob would (computing the run itself for `every`).
// KEYS (11): repeat, delayed, wait, paused, meta, prioritized, marker, id, events, pc,
// active. ARGV (9): next run ms ("" for every), msgpacked scheduler options, scheduler
// id, template data (JSON), msgpacked template options, msgpacked options of the
// delayed job, timestamp, key prefix, producer key (""). Returns [job id, delay], or
// -10 the iteration's job id is taken, -11 no free slot for it.
#pragma once

#include "core/job_scheduler.hpp"
#include "core/keys.hpp"
#include "core/scripts/scheduler_keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct add_job_scheduler {
  // KEYS
  scheduler_keys scheduler;
  std::string active;
  // ARGV
  std::optional<std::int64_t> next_millis;  // unset for `every`: the script computes it
  std::string scheduler_opts;               // msgpacked
  std::string scheduler_id;                 // also names the scheduler in errors
  std::string data;                         // JSON text
  std::string template_opts;                // msgpacked
  std::string job_opts;                     // msgpacked: the delayed job's options
  std::int64_t timestamp = 0;
  std::string prefix;
  std::string producer_key;  // "" : a queue's upsert has no producer

  static add_job_scheduler of(const queue_keys& k, const scheduler_request& req, const scheduler_plan& plan);
  script_call pack() &&;
  struct result {
    std::string job_id;
    std::int64_t delay = 0;
  };
  // Throws for a code, and error(protocol_error) for a reply of another shape.
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
