// get_jobs.hpp - BullMQ's getJobs: a page of jobs, ids and hashes, from several states.
//
// Contract: read-only; for each state reads the ids in [start, end] (lists and sorted
// sets alike, ascending or not) and each id's hash in the same call, so that a job
// deleted meanwhile is skipped rather than returned empty; a bounded page is filled up
// past skipped ids, at most max-iterations times. KEYS (1): key prefix. ARGV: start,
// end, asc ("1"/"0"), max iterations, then the state key names. Returns, per state, a
// list of {id, [field, value, ...]}.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"
#include "drover/job.hpp"

namespace drover::detail::scripts {

struct get_jobs {
  // KEYS
  std::string prefix;
  // ARGV
  std::int64_t start = 0, end = -1;
  bool asc = false;
  std::int64_t max_iterations = 5;  // what Node's Queue.getJobs sends
  std::vector<std::string> states;  // key names, each once: "wait" for "waiting"

  // `types` as the public API names them; a state named twice is sent once.
  static get_jobs of(const queue_keys& k, const std::vector<std::string>& types, std::int64_t start, std::int64_t end,
                     bool asc);
  script_call pack() &&;
  // The jobs in reply order, each id once (a job may be listed in two states).
  using result = std::vector<job>;
  result parse(redis::reply& r) const;
};

}  // namespace drover::detail::scripts
