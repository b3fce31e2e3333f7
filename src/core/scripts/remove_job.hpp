// remove_job.hpp - BullMQ's removeJob: deletes a job that no worker holds, with its children.
//
// Contract: refuses a locked job; otherwise takes the job out of whichever state set it
// is in, deletes its hash, logs and dependency keys (and, asked to, its unprocessed
// children), and adds a "removed" event. KEYS (2): job hash, repeat (job schedulers).
// ARGV (3): job id, remove children ("1"/"0"), key prefix. Returns 1 removed (also
// when no such job exists), 0 when locked, -8 when a child is locked.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct remove_job {
  // KEYS
  std::string job_key, repeat;
  // ARGV
  std::string job_id;  // also names the job in errors
  bool remove_children = true;
  std::string prefix;

  // Removes the children too, as Node's Queue.remove does by default.
  static remove_job of(const queue_keys& k, std::string id) { return {k.job(id), k.repeat, id, true, k.base()}; }
  script_call pack() && {
    return {&lua::remove_job,
            {std::move(job_key), std::move(repeat), job_id, flag(remove_children), std::move(prefix)}};
  }
  // Whether the job was removed (false: a worker holds its lock); throws for -8.
  using result = bool;
  result parse(const redis::reply& r) const { return expect_code(r, lua::remove_job, job_id) == 1; }
};

}  // namespace drover::detail::scripts
