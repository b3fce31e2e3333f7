// get_counts_per_priority.hpp - BullMQ's getCountsPerPriority: how many jobs wait at
// each of the given priorities.
//
// Contract: read-only. KEYS (2): wait, prioritized. ARGV: the priorities; 0 counts the
// wait list, any other p the prioritized jobs scored in [p * 2^32, (p + 1) * 2^32).
// Returns one count per priority, in order.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct get_counts_per_priority {
  // KEYS
  std::string wait, prioritized;
  // ARGV
  std::vector<std::int64_t> priorities;

  static get_counts_per_priority of(const queue_keys& k, std::vector<std::int64_t> priorities) {
    return {k.wait, k.prioritized, std::move(priorities)};
  }
  script_call pack() && {
    script_call call{&lua::get_counts_per_priority, {std::move(wait), std::move(prioritized)}};
    for (auto p : priorities) call.args.push_back(std::to_string(p));
    return call;
  }
  using result = std::vector<std::int64_t>;
  result parse(const redis::reply& r) const {
    result counts;
    for (const auto& e : r.elements) counts.push_back(e.as_int().value_or(0));
    return counts;
  }
};

}  // namespace drover::detail::scripts
