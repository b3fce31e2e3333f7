// get_job_scheduler.hpp - BullMQ's getJobScheduler: one job scheduler's stored record.
//
// Contract: read-only. KEYS (1): repeat. ARGV (1): scheduler id. Returns [the
// scheduler hash's fields and values, its next run (score)], or [nil, nil] when repeat
// has no such scheduler.
#pragma once

#include <optional>
#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct get_job_scheduler {
  // KEYS
  std::string repeat;
  // ARGV
  std::string scheduler_id;

  static get_job_scheduler of(const queue_keys& k, std::string id) { return {k.repeat, std::move(id)}; }
  script_call pack() && { return {&lua::get_job_scheduler, {std::move(repeat), std::move(scheduler_id)}}; }
  struct record {
    std::vector<redis::reply> fields_and_values;
    std::string next;  // the score as Redis wrote it
  };
  // Nothing when there is no such scheduler or its hash is empty.
  using result = std::optional<record>;
  result parse(redis::reply& r) const {
    if (!r.is_array() || r.elements.size() < 2 || r.elements[0].elements.empty()) return std::nullopt;
    return record{std::move(r.elements[0].elements), std::move(r.elements[1].str)};
  }
};

}  // namespace drover::detail::scripts
