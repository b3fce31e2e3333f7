// get_state.hpp - BullMQ's getStateV2: which state a job is in.
//
// Contract: read-only; looks for the job id in the state sets and lists in a fixed
// order. KEYS (8): completed, failed, delayed, active, wait, paused, waiting-children,
// prioritized. ARGV (1): job id. Returns the state's name ("completed", "failed",
// "delayed", "active", "waiting", "waiting-children", "prioritized") or "unknown",
// parsed into a job_state (std::nullopt for "unknown": no such job).
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"
#include "drover/job_state.hpp"

namespace drover::detail::scripts {

struct get_state {
  // KEYS
  std::string completed, failed, delayed, active, wait, paused, waiting_children, prioritized;
  // ARGV
  std::string job_id;

  static get_state of(const queue_keys& k, std::string id) {
    return {k.completed, k.failed,           k.delayed,     k.active,     k.wait,
            k.paused,    k.waiting_children, k.prioritized, std::move(id)};
  }
  script_call pack() && {
    return {&lua::get_state_v2,
            {std::move(completed), std::move(failed), std::move(delayed), std::move(active), std::move(wait),
             std::move(paused), std::move(waiting_children), std::move(prioritized), std::move(job_id)}};
  }
  using result = std::optional<job_state>;
  result parse(const redis::reply& r) const { return parse_job_state(r.as_string()); }
};

}  // namespace drover::detail::scripts
