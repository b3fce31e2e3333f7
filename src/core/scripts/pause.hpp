// pause.hpp - BullMQ's pause: pauses or resumes a whole queue.
//
// Contract: sets (pause) or clears (resume) "paused" in meta, adds a "paused" or
// "resumed" event when asked to, and moves the jobs of a legacy paused list (BullMQ
// before v6) back to wait in batches. KEYS (7): the list jobs leave and the list they
// enter (wait, paused to pause; paused, wait to resume), meta, prioritized, events,
// delayed, marker. ARGV (2): "paused" or "resumed", emit the event ("1"/"0"). Returns
// how many legacy paused jobs are left to move (0 when done).
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct pause {
  // KEYS
  std::string from, to, meta, prioritized, events, delayed, marker;
  // ARGV
  bool paused = true;  // "paused", or "resumed"
  bool emit_event = true;

  static pause of(const queue_keys& k, bool paused, bool emit_event = true) {
    return {paused ? k.wait : k.paused,
            paused ? k.paused : k.wait,
            k.meta,
            k.prioritized,
            k.events,
            k.delayed,
            k.marker,
            paused,
            emit_event};
  }
  script_call pack() && {
    return {&lua::pause,
            {std::move(from), std::move(to), std::move(meta), std::move(prioritized), std::move(events),
             std::move(delayed), std::move(marker), paused ? "paused" : "resumed", flag(emit_event)}};
  }
  // Legacy paused jobs still to move; resume() calls again until it is 0.
  using result = std::int64_t;
  result parse(const redis::reply& r) const { return r.as_int().value_or(0); }
};

}  // namespace drover::detail::scripts
