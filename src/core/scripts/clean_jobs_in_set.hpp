// clean_jobs_in_set.hpp - BullMQ's cleanJobsInSet: deletes a state's jobs older than a time.
//
// Contract: walks the state's list or set and deletes, with their data, up to `limit`
// jobs whose time (finishedOn for finished states; processedOn or timestamp for the
// others) is at or before the timestamp; adds one "cleaned" event with the count. KEYS (3): the
// state's set, events, repeat. ARGV (4): key prefix, timestamp (ms), limit (0: no
// limit), the state's key name. Returns the ids deleted.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct clean_jobs_in_set {
  // KEYS
  std::string state_set, events, repeat;
  // ARGV
  std::string prefix;
  std::int64_t timestamp = 0;
  std::int64_t limit = 0;
  std::string state;  // key name: "wait", "completed", ...

  static clean_jobs_in_set of(const queue_keys& k, std::string state, std::int64_t timestamp, std::int64_t limit) {
    return {k.key(state), k.events, k.repeat, k.base(), timestamp, limit, std::move(state)};
  }
  script_call pack() && {
    return {&lua::clean_jobs_in_set,
            {std::move(state_set), std::move(events), std::move(repeat), std::move(prefix), std::to_string(timestamp),
             std::to_string(limit), std::move(state)}};
  }
  using result = std::vector<std::string>;  // the ids deleted
  result parse(const redis::reply& r) const {
    result ids;
    for (const auto& e : r.elements) ids.push_back(e.as_string());
    return ids;
  }
};

}  // namespace drover::detail::scripts
