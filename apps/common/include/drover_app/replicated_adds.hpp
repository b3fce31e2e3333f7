// replicated_adds.hpp - the apps' setting for replicated adds (job_options::replication,
// docs/reliability.md): REDIS_MIN_REPLICAS and REDIS_REPLICATION_TIMEOUT_MS.
#pragma once

#include <chrono>
#include <cstdint>

#include <drover/job_options.hpp>
#include <drover/redis_options.hpp>

#include "drover_app/env.hpp"

namespace drover::app {

// The variables over the defaults: 500 ms, less than the library's 1000 as the API
// answers within about a second; and 0 replicas (adds do not wait), except behind
// Sentinel, where 1. Sentinel means a replica exists, and without the wait every add
// acknowledged between a replica's promotion and the announcement of it is lost, about a
// second of sends in a planned failover, whose ids the new master then hands out again.
// REDIS_MIN_REPLICAS=0 keeps the old behaviour. Throws
// drover::error(invalid_argument) naming the variable for a value that is not a whole
// number, a negative count, or a timeout under 1 ms (WAIT takes 0 to mean forever) or
// not below `command_timeout`, the Redis connection's (to `redis`) (calls queued behind a WAIT would
// time out first).
inline constexpr std::int64_t max_min_replicas = 100;

inline replication_options replication_from_env(const redis_options& redis, std::chrono::milliseconds command_timeout) {
  replication_options r;
  r.timeout = std::chrono::milliseconds(500);
  if (!redis.sentinel.sentinels.empty()) r.min_replicas = 1;
  if (const char* v = env("REDIS_MIN_REPLICAS")) {
    // More replicas than any deployment runs is a typo; the bound keeps the message short.
    r.min_replicas = env_number<std::int64_t>("REDIS_MIN_REPLICAS", v, 0, max_min_replicas);
  }
  if (const char* v = env("REDIS_REPLICATION_TIMEOUT_MS")) {
    r.timeout = std::chrono::milliseconds(
        env_number<long long>("REDIS_REPLICATION_TIMEOUT_MS", v, 1, command_timeout.count() - 1));
  }
  return r;
}

}  // namespace drover::app
