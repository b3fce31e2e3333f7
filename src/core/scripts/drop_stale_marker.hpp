// drop_stale_marker.hpp - drover's dropStaleMarker (src/lua/dropStaleMarker-3.lua): the
// base marker a worker's own fetch put back goes, while nothing waits to be taken.
//
// Contract: removes member "0" of the marker set only when the wait list and the
// prioritized set are both empty; delay markers stay. KEYS (3): marker, wait,
// prioritized. No ARGV. Returns 1 when it removed the marker, else 0. The fetcher sends
// it in the same pipeline as its BZPOPMIN on the marker (fetcher::wait_for_job).
#pragma once

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts {

struct drop_stale_marker {
  // KEYS
  std::string marker, wait, prioritized;

  static drop_stale_marker of(const queue_keys& k) { return {k.marker, k.wait, k.prioritized}; }
  script_call pack() && {
    return {&lua::drop_stale_marker, {std::move(marker), std::move(wait), std::move(prioritized)}};
  }
  using result = bool;  // the marker was removed
  result parse(const redis::reply& r) const { return r.as_int().value_or(0) == 1; }
};

}  // namespace drover::detail::scripts
