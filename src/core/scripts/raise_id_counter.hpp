// raise_id_counter.hpp - drover's raiseIdCounter (src/lua/raiseIdCounter-1.lua): a
// queue's job id counter raised to a floor when it is lower.
//
// Contract: reads the counter (a missing one is 0); when it is below the floor, sets it
// to the floor, so that BullMQ's next add (INCR) gives floor + 1. KEYS (1): the counter
// ("<prefix>:<queue>:id"). ARGV (1): the floor. Returns the value it had when it raised
// it, -1 when it wrote nothing; parsed into the raised-from value or std::nullopt. Sent in
// front of the adds of a queue that keeps its ids (queue::keep_ids_above).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct raise_id_counter {
  // KEYS
  std::string counter;
  // ARGV
  std::int64_t floor = 0;

  static raise_id_counter of(const queue_keys& k, std::int64_t floor) { return {k.id, floor}; }
  script_call pack() && { return {&lua::raise_id_counter, {std::move(counter), std::to_string(floor)}}; }
  using result = std::optional<std::int64_t>;
  // Throws the error reply as script_reply_error and error(protocol_error) for a reply
  // that is no number.
  result parse(const redis::reply& r) const;
};

}  // namespace drover::detail::scripts
