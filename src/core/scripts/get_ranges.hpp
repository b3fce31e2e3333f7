// get_ranges.hpp - BullMQ's getRanges: the ids of a page of jobs from several states,
// without their hashes.
//
// Contract: read-only (but for dropping a v5 marker left at the tail of wait or
// paused); for each state reads the ids in [start, end] (LRANGE for wait, paused and
// active, from the tail when ascending; ZRANGE or ZREVRANGE for the sorted sets).
// KEYS (1): key prefix. ARGV: start, end, asc ("1"/"0"), then the state key names.
// Returns one list of ids per state; Node reverses a list state's when ascending, and
// so does parse().
#pragma once

#include <string>
#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

// The key names of states as the public API names them, each once: "wait" for "waiting".
std::vector<std::string> state_key_names(const std::vector<std::string>& types);

struct get_ranges {
  // KEYS
  std::string prefix;
  // ARGV
  std::int64_t start = 0, end = -1;
  bool asc = false;
  std::vector<std::string> states;  // key names, each once: "wait" for "waiting"

  // `types` as the public API names them; a state named twice is sent once.
  static get_ranges of(const queue_keys& k, const std::vector<std::string>& types, std::int64_t start, std::int64_t end,
                       bool asc);
  script_call pack() &&;
  // The ids in reply order, each once (a job may be listed in two states).
  using result = std::vector<std::string>;
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
