// remove_orphaned_jobs.hpp - BullMQ's removeOrphanedJobs: deletes, among candidate job
// ids, those whose hash is in no state of the queue (one batch of Node's
// queue.removeOrphanedJobs, which finds the candidates with SCAN).
//
// Contract: for each candidate, looks for its id in every state key that exists (list,
// sorted set or set, by TYPE); one found nowhere loses its hash and its sub-keys. KEYS
// (1): the queue's key prefix ("<prefix>:<queue>:"). ARGV: the number of state key
// suffixes, the suffixes, the number of job sub-key suffixes, the sub-key suffixes, then
// the candidate ids. Returns how many jobs it removed.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct remove_orphaned_jobs {
  // KEYS
  std::string prefix;
  // ARGV
  std::vector<std::string> candidates;

  static remove_orphaned_jobs of(const queue_keys& k, std::vector<std::string> candidates) {
    return {k.base(), std::move(candidates)};
  }
  script_call pack() && {
    script_call call{&lua::remove_orphaned_jobs, {std::move(prefix)}};
    auto add_list = [&](const std::vector<std::string_view>& list) {
      call.args.push_back(std::to_string(list.size()));
      for (auto s : list) call.args.emplace_back(s);
    };
    add_list(key_map_suffixes());  // Node passes them all as state keys: the script reads only lists and sets
    add_list(job_sub_key_suffixes());
    for (auto& id : candidates) call.args.push_back(std::move(id));
    return call;
  }
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return r.as_int().value_or(0); }
};

}  // namespace drover::detail::scripts
