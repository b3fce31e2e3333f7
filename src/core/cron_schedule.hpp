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

// An IANA zone from the system's tz database (Debian's tzdata); an empty name (or luxon's
// "system", "local") is the process's local zone (TZ, else /etc/localtime, else UTC), as
// cron-parser uses when bullmq is given no `tz`. nullptr is UTC, which needs no database.
// Throws drover::error(invalid_argument) for an unknown name, saying when the machine has
// no database at all.
const date::time_zone* find_time_zone(std::string_view name);

// The first run strictly after `after_ms` (ms since the epoch; runs fall on whole seconds),
// or std::nullopt when there is none in the next ten years or when cron-parser's search
// gives up (it throws after 10,000 steps, which it does on Australia/Lord_Howe's autumn
// change day for patterns that leave out hours).
//
// Daylight-saving changes, as cron-parser handles them when parsed afresh from `after_ms`
// (bullmq parses afresh for every iteration); docs/schedules.md lists what comes out:
// a time in a skipped hour runs in the hour after the gap, at the pattern's first minute, but
// a skipped midnight reached by a day step is lost for that day and a 30-minute gap moves
// nothing; a repeated hour runs in its first pass only unless every hour is allowed.
std::optional<std::int64_t> next_cron_run(const cron_expression& expr, const date::time_zone* zone,
                                          std::int64_t after_ms);

}  // namespace drover::detail
