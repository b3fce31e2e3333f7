// move_to_waiting_children.hpp - BullMQ's moveToWaitingChildren: a running parent waits
// for the children its processor added.
//
// Contract: with failed children (under failParentOnFailure) answers -9 and changes
// nothing; with pending dependencies (or, given a child key, when that child is still
// pending) releases the lock, moves the job from active to waiting-children (scored by
// the timestamp) and adds a "waiting-children" event, answering 0; with none answers 1
// and changes nothing.
// KEYS (7): active, waiting-children, job key, its dependencies, its unsuccessful
// children, stalled, events. ARGV (5): token, child key ("" : any), timestamp, job id,
// key prefix ("<prefix>:<queue>:"). Returns 0, 1, or -1 missing job, -2 missing lock,
// -3 not active, -6 lock mismatch, -9 failed children.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct move_to_waiting_children {
  // KEYS
  std::string active, waiting_children, job_key, dependencies, unsuccessful, stalled, events;
  // ARGV
  std::string token, child_key, job_id, prefix;
  std::int64_t timestamp = 0;

  static move_to_waiting_children of(const queue_keys& k, std::string id, std::string token, std::int64_t now) {
    return {k.active,
            k.waiting_children,
            k.job(id),
            k.dependencies(id),
            k.unsuccessful(id),
            k.stalled,
            k.events,
            std::move(token),
            "",
            id,
            k.base(),
            now};
  }
  script_call pack() && {
    return {&lua::move_to_waiting_children,
            {std::move(active), std::move(waiting_children), std::move(job_key), std::move(dependencies),
             std::move(unsuccessful), std::move(stalled), std::move(events), std::move(token), std::move(child_key),
             std::to_string(timestamp), job_id, std::move(prefix)}};
  }
  // 0: it waits for its children; 1: nothing to wait for. Negative codes are thrown
  // (-9: errc::pending_children, "has failed children").
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return expect_code(r, lua::move_to_waiting_children, job_id, "active"); }
};

}  // namespace drover::detail::scripts
