// backoff.hpp - how long a failed job waits before its next attempt.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "drover/job_options.hpp"

namespace drover {

// Returns a number in [0, 1); injectable so that tests can fix it.
using random_source = std::function<double()>;

// The delay in ms before attempt `attempts_made + 1`, as BullMQ computes it:
// fixed: delay; exponential: round(2^(attempts_made-1) * delay); with jitter j the
// value v becomes floor(random * v * j + v * (1 - j)). Returns std::nullopt for a
// type it does not know (a custom strategy must decide).
std::optional<std::int64_t> backoff_delay(const backoff_options& b, std::int64_t attempts_made,
                                          const random_source& random = {});

}  // namespace drover
