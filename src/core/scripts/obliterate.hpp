// obliterate.hpp - BullMQ's obliterate: deletes a paused queue and all it holds, a batch
// at a time.
//
// Contract: refuses a queue that is not paused, and one with active jobs unless forced;
// otherwise deletes up to `count` jobs (with their data) and, once none are left, the
// queue's own keys. KEYS (2): meta, key prefix. ARGV (2): count, "force" or "".
// Returns 1 while jobs are left, 0 when done, -1 not paused, -2 active jobs.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct obliterate {
  // KEYS
  std::string meta, prefix;
  // ARGV
  std::int64_t count = 1000;
  bool force = false;

  static obliterate of(const queue_keys& k, std::int64_t count, bool force) { return {k.meta, k.base(), count, force}; }
  script_call pack() && {
    return {&lua::obliterate, {std::move(meta), std::move(prefix), std::to_string(count), force ? "force" : ""}};
  }
  enum class result { done, more, not_paused, active_jobs };
  result parse(const redis::reply& r) const {
    switch (r.as_int().value_or(0)) {
      case 0:
        return result::done;
      case -1:
        return result::not_paused;
      case -2:
        return result::active_jobs;
      default:
        return result::more;
    }
  }
};

}  // namespace drover::detail::scripts
