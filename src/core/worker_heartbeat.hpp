// worker_heartbeat.hpp - how a drover worker's report is judged out of date.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drover/queue.hpp"
#include "redis/reply.hpp"

namespace drover::detail {

// A report is stale when three heartbeats were missed: the worker is gone (or cut off
// from Redis, which makes it useless to the queue too).
bool heartbeat_is_stale(const worker_status& s, std::int64_t now_ms);

// The status hash as HGETALL returned it: the live reports, and the fields of stale or
// unreadable ones (workers that died without saying goodbye), for HDEL.
struct worker_reports {
  std::vector<worker_status> live;
  std::vector<std::string> stale;
};
worker_reports read_worker_reports(const redis::reply& hgetall, std::int64_t now_ms);

}  // namespace drover::detail
