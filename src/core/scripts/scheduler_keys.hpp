// scheduler_keys.hpp - the ten keys that BullMQ's addJobScheduler and
// updateJobScheduler both begin with: repeat, delayed, wait, paused, meta, prioritized,
// marker, id, events, pc.
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct scheduler_keys {
  std::string repeat, delayed, wait, paused, meta, prioritized, marker, id, events, pc;

  static scheduler_keys of(const queue_keys& k) {
    return {k.repeat, k.delayed, k.wait, k.paused, k.meta, k.prioritized, k.marker, k.id, k.events, k.pc};
  }
  void append_to(script_args& out) && {
    for (auto* key : {&repeat, &delayed, &wait, &paused, &meta, &prioritized, &marker, &id, &events, &pc}) {
      out.push_back(std::move(*key));
    }
  }
};

}  // namespace drover::detail::scripts
