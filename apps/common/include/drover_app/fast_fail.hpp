// fast_fail.hpp - Redis options for calls someone is waiting on now: the API's requests,
// readiness probes, metrics scrapes, connectivity probes. With the library's defaults
// (10 s per command) a Redis that hangs holds such a caller past its own timeout
// (Kubernetes probes default to 1 s, Prometheus scrapes to 10 s); with these it gets an
// answer, "unavailable", within about two seconds.
#pragma once

#include <chrono>

#include <drover/redis_options.hpp>

namespace drover::app {

inline constexpr std::chrono::milliseconds fast_fail_connect_timeout{800};
inline constexpr std::chrono::milliseconds fast_fail_command_timeout{1000};

inline redis_options fast_fail(redis_options o) {
  o.connect_timeout = fast_fail_connect_timeout;
  o.command_timeout = fast_fail_command_timeout;
  return o;
}

}  // namespace drover::app
