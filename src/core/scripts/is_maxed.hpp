// is_maxed.hpp - BullMQ's isMaxed: whether the queue's global concurrency is used up.
//
// Contract: read-only; compares the length of active with the meta hash's "concurrency"
// field. KEYS (2): meta, active. No ARGV. Returns 1 when a global concurrency is set and
// at least that many jobs are active, else 0.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct is_maxed {
  // KEYS
  std::string meta, active;

  static is_maxed of(const queue_keys& k) { return {k.meta, k.active}; }
  script_call pack() && { return {&lua::is_maxed, {std::move(meta), std::move(active)}}; }
  using result = bool;
  result parse(const redis::reply& r) const { return r.as_int().value_or(0) == 1; }
};

}  // namespace drover::detail::scripts
