// requeue_dead_letter.hpp - drover's requeueDeadLetter: a dead-letter entry back to its
// source queue, the add and the entry's removal in one atomic call.
//
// Contract (src/lua/requeueDeadLetter-15.lua): refuses an entry that does not exist
// (-1), whose failed job ran again since the failure it records (-100 not finished
// since, -101 finished again) or that is locked (0), writing nothing; otherwise runs
// BullMQ's addStandardJob or addPrioritizedJob for the source queue, then BullMQ's
// removeJob for the entry, and for the failed job when it still holds that failure (a
// later retry of it would run the job twice), noting the requeue; an entry whose failed
// job is gone and was requeued already (from any of its entries) is refused (-102).
// KEYS (15): the add's 9 keys, the entry's hash, the dead-letter queue's repeat key, the
// failed job's hash, the failed job's removal's 2, the source queue's hash of jobs
// requeued from their dead letters. ARGV (11): "standard" or
// "prioritized", the add's 3 arguments, removeJob's 3 for the entry, the failed job's
// finishedOn as the entry records it ("": no check, no removal), removeJob's 3 for the
// failed job.
// Returns the new job's id.
#pragma once

#include <optional>

#include "core/scripts/remove_job.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct requeue_dead_letter {
  script_call add;    // the source queue's add as prepare_add packs it, with no delay
  remove_job remove;  // the entry, in the dead-letter queue
  // The job whose failure the entry records, and when it finished then ("": unknown,
  // and the entry is requeued whatever became of the job). Without a key, the add's
  // first one stands in: on a cluster every key must be in the source queue's slot.
  std::string failed_job_key;
  std::string failed_finished_on;
  // The failed job's removal, run when it still holds the failure (with
  // failed_finished_on); unset: the stand-in key, and nothing to remove.
  std::optional<remove_job> failed_job_removal;
  // The source queue's <prefix>:<queue>:drover:requeued; unset: the stand-in key (no
  // failed job, nothing noted or read).
  std::string requeued_key;

  // Throws error(invalid_argument) for a delayed add: a requeued job runs now.
  static requeue_dead_letter of(script_call add, const queue_keys& dead_letters, std::string entry_id);
  script_call pack() &&;

  enum class outcome { added, no_entry, job_running_again, job_finished_again, requeued_already };
  struct result {
    outcome what = outcome::added;
    std::string id;  // the new job's, when added
  };
  // Throws error(not_in_state) for a locked entry and the add's error for its negative
  // codes.
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
