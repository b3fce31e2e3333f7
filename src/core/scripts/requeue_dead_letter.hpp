// requeue_dead_letter.hpp - drover's requeueDeadLetter: a dead-letter entry back to its
// source queue, the add and the entry's removal in one atomic call.
//
// Contract (src/lua/requeueDeadLetter-11.lua): refuses an entry that does not exist
// (-1) or is locked (0), writing nothing; otherwise runs BullMQ's addStandardJob or
// addPrioritizedJob for the source queue, then BullMQ's removeJob for the entry.
// KEYS (11): the add's 9 keys, the entry's hash, the dead-letter queue's repeat key.
// ARGV (7): "standard" or "prioritized", the add's 3 arguments, removeJob's 3.
// Returns the new job's id.
#pragma once

#include <optional>

#include "core/scripts/remove_job.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct requeue_dead_letter {
  script_call add;    // the source queue's add as prepare_add packs it, with no delay
  remove_job remove;  // the entry, in the dead-letter queue

  // Throws error(invalid_argument) for a delayed add: a requeued job runs now.
  static requeue_dead_letter of(script_call add, const queue_keys& dead_letters, std::string entry_id);
  script_call pack() &&;
  // The new job's id; std::nullopt when there is no such entry. Throws error(not_in_state)
  // for a locked entry and the add's error for its negative codes.
  using result = std::optional<std::string>;
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
