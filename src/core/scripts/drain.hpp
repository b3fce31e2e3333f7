// drain.hpp - BullMQ's drain: removes every job that waits to run.
//
// Contract: deletes the jobs in wait, paused and prioritized (and, asked to, delayed,
// except the next iteration of each job scheduler), with their hashes; leaves active,
// completed and failed jobs. KEYS (5): wait, paused, delayed, prioritized, repeat.
// ARGV (2): key prefix, include delayed ("1"/"0"). Returns nothing of use.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct drain {
  // KEYS
  std::string wait, paused, delayed, prioritized, repeat;
  // ARGV
  std::string prefix;
  bool include_delayed = false;

  static drain of(const queue_keys& k, bool include_delayed) {
    return {k.wait, k.paused, k.delayed, k.prioritized, k.repeat, k.base(), include_delayed};
  }
  script_call pack() && {
    return {&lua::drain,
            {std::move(wait), std::move(paused), std::move(delayed), std::move(prioritized), std::move(repeat),
             std::move(prefix), flag(include_delayed)}};
  }
  struct result {};
  result parse(const redis::reply&) const { return {}; }
};

}  // namespace drover::detail::scripts
