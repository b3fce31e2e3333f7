// cron_schedule.hpp - the next run time of a cron expression in a time zone, as cron-parser
// (and so Node's bullmq) computes it, daylight-saving changes included.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/cron_expression.hpp"

namespace date {
class time_zone;
}

namespace drover::detail {

// An IANA zone from the system's tz database (Debian's tzdata); an empty name is the
// process's local zone (TZ, else /etc/localtime), as cron-parser uses when bullmq is given
// no `tz`. Throws
// drover::error(invalid_argument) for an unknown name.
const date::time_zone* find_time_zone(std::string_view name);

// The first run strictly after `after_ms` (ms since the epoch; runs fall on whole seconds),
// or std::nullopt when there is none in the next ten years.
//
// Daylight-saving changes, as cron-parser handles them when parsed afresh from `after_ms`
// (bullmq parses afresh for every iteration):
//  - clocks go forward: a time in the skipped hour runs that long later (02:30 -> 03:30), once;
//  - clocks go back: the repeated hour runs in its first pass only, unless the hour field
//    allows every hour, when both passes run; counting from inside the second pass, the rest
//    of the second pass runs.
std::optional<std::int64_t> next_cron_run(const cron_expression& expr, const date::time_zone* zone,
                                          std::int64_t after_ms);

}  // namespace drover::detail
