// change_priority.hpp - BullMQ's changePriority: a job's new priority, and its place in
// wait or prioritized moved to match.
//
// Contract: for a job that exists, takes it out of prioritized or wait (when it is in
// either) and puts it back where the new priority sends it (priority 0: wait, at the
// front with lifo; otherwise prioritized, behind its peers or, with lifo, before them),
// then sets the hash's "priority". A job in another state only gets the field.
// KEYS (7): wait, paused, meta, prioritized, active, pc, marker. ARGV (4): priority, key
// prefix, job id, lifo ("1"/"0"). Returns 0, or -1 when there is no such job.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct change_priority {
  // KEYS
  std::string wait, paused, meta, prioritized, active, pc, marker;
  // ARGV
  std::int64_t priority = 0;
  std::string prefix;
  std::string job_id;  // also names the job in errors
  bool lifo = false;

  static change_priority of(const queue_keys& k, std::string id, std::int64_t priority, bool lifo) {
    return {k.wait, k.paused, k.meta, k.prioritized, k.active, k.pc, k.marker, priority, k.base(), std::move(id), lifo};
  }
  script_call pack() && {
    return {&lua::change_priority,
            {std::move(wait), std::move(paused), std::move(meta), std::move(prioritized), std::move(active),
             std::move(pc), std::move(marker), std::to_string(priority), std::move(prefix), job_id, flag(lifo)}};
  }
  // Throws job_not_found for -1.
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::change_priority, job_id); }
};

}  // namespace drover::detail::scripts
