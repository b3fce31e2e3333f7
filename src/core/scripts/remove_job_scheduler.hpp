// remove_job_scheduler.hpp - BullMQ's removeJobScheduler: deletes a job scheduler and
// its next iteration.
//
// Contract: when repeat has the scheduler, deletes its delayed job (adding a "removed"
// event), then the scheduler's entry and hash. KEYS (3): repeat, delayed, events.
// ARGV (2): scheduler id, key prefix. Returns 0 removed, 1 no such scheduler.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct remove_job_scheduler {
  // KEYS
  std::string repeat, delayed, events;
  // ARGV
  std::string scheduler_id;  // also names it in errors
  std::string prefix;

  static remove_job_scheduler of(const queue_keys& k, std::string id) {
    return {k.repeat, k.delayed, k.events, std::move(id), k.base()};
  }
  script_call pack() && {
    return {&lua::remove_job_scheduler,
            {std::move(repeat), std::move(delayed), std::move(events), scheduler_id, std::move(prefix)}};
  }
  // Whether a scheduler was removed.
  using result = bool;
  result parse(const redis::reply& r) const { return expect_code(r, lua::remove_job_scheduler, scheduler_id) == 0; }
};

}  // namespace drover::detail::scripts
