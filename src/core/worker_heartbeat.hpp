// worker_heartbeat.hpp - how a drover worker's report is judged out of date.
#pragma once

#include <cstdint>

#include "drover/queue.hpp"

namespace drover::detail {

// A report is stale when three heartbeats were missed: the worker is gone (or cut off
// from Redis, which makes it useless to the queue too).
bool heartbeat_is_stale(const worker_status& s, std::int64_t now_ms);

}  // namespace drover::detail
