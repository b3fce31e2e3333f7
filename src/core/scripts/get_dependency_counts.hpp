// get_dependency_counts.hpp - BullMQ's getDependencyCounts: how many children a parent
// has in each of the four places.
//
// Contract: read-only. KEYS (4): the job's processed hash, dependencies set (pending),
// ":failed" hash (ignored failures), ":unsuccessful" zset (failed). ARGV: the types
// asked for ("processed", "unprocessed", "ignored", "failed"). Returns one count per type.
#pragma once

#include <array>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct get_dependency_counts {
  // KEYS
  std::string processed, unprocessed, ignored, failed;

  static get_dependency_counts of(const queue_keys& k, std::string_view id) {
    return {k.processed(id), k.dependencies(id), k.ignored_failures(id), k.unsuccessful(id)};
  }
  // Always all four types, in this order.
  script_call pack() && {
    return {&lua::get_dependency_counts,
            {std::move(processed), std::move(unprocessed), std::move(ignored), std::move(failed), "processed",
             "unprocessed", "ignored", "failed"}};
  }
  using result = std::array<std::int64_t, 4>;  // processed, unprocessed, ignored, failed
  result parse(const redis::reply& r) const {
    result counts{};
    for (std::size_t i = 0; i < counts.size() && i < r.elements.size(); ++i) {
      counts[i] = r.elements[i].as_int().value_or(0);
    }
    return counts;
  }
};

}  // namespace drover::detail::scripts
