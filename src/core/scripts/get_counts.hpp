// get_counts.hpp - BullMQ's getCounts: how many jobs each state holds.
//
// Contract: read-only; for each state name counts the members of "<prefix><state>"
// (list length or set size). KEYS (1): key prefix. ARGV: the state key names ("wait",
// not "waiting"). BullMQ also takes a delayed cutoff timestamp as ARGV[1]; drover does
// not send one, and a state name there is not a number, so the script counts from
// ARGV[1]. Returns one count per state, in order.
#pragma once

#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct get_counts {
  // KEYS
  std::string prefix;
  // ARGV
  std::vector<std::string> states;  // key names: "wait" for "waiting"

  // `types` as the public API names them ("waiting", "completed", ...).
  static get_counts of(const queue_keys& k, const std::vector<std::string>& types) {
    get_counts c{k.base(), {}};
    for (const auto& t : types) c.states.push_back(t == "waiting" ? "wait" : t);
    return c;
  }
  script_call pack() && {
    script_call call{&lua::get_counts, {std::move(prefix)}};
    call.args.insert(call.args.end(), states.begin(), states.end());  // parse() counts them
    return call;
  }
  // One count per state sent, 0 where the reply has none.
  using result = std::vector<std::int64_t>;
  result parse(const redis::reply& r) const {
    result counts(states.size(), 0);
    for (std::size_t i = 0; i < counts.size() && i < r.elements.size(); ++i) {
      counts[i] = r.elements[i].as_int().value_or(0);
    }
    return counts;
  }
};

}  // namespace drover::detail::scripts
