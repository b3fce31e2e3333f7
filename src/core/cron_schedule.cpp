// cron_schedule.cpp - maps a cron expression's wall-clock times to instants in a time zone.
//
// The search walks the zone's periods of constant UTC offset (date::sys_info). Within one
// period wall-clock time and instants map one to one; at the period's start a DST change
// either skips wall times (a gap) or repeats them (an overlap), and the rules stated in
// the header decide which of those run.
#include "core/cron_schedule.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <cstdlib>

#include "drover/error.hpp"

namespace drover::detail {

using namespace std::chrono;

namespace {

constexpr auto search_horizon = date::days(3653);

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

const date::time_zone* find_time_zone(std::string_view name) {
  try {
    if (name.empty()) {
      // Node (luxon) takes the local zone from TZ first; date::current_zone() reads only
      // /etc/localtime.
      const char* env = std::getenv("TZ");
      std::string_view tz = env ? env : "";
      if (!tz.empty() && tz.front() == ':') tz.remove_prefix(1);
      return tz.empty() ? date::current_zone() : date::locate_zone(tz);
    }
    return date::locate_zone(name);
  } catch (const std::exception& e) {
    throw error(errc::invalid_argument,
                fmt::format("unknown time zone '{}' ({}); use an IANA name such as Europe/Berlin", name, e.what()));
  }
}

std::optional<std::int64_t> next_cron_run(const cron_expression& expr, const date::time_zone* zone,
                                          std::int64_t after_ms) {
  const date::sys_seconds start{seconds(floor_div(after_ms, 1000))};
  // A run is strictly later than `after_ms` and on a whole second.
  const date::sys_seconds first = start + seconds(1);
  const auto horizon = first + search_horizon;
  const auto after = date::sys_time<milliseconds>(milliseconds(after_ms));

  for (date::sys_seconds at = first; at < horizon;) {
    const auto info = zone->get_info(at);
    const auto period_end = std::min<date::sys_seconds>(info.end, horizon);
    const auto to_wall = [&](date::sys_seconds t, seconds offset) {
      return date::local_seconds((t + offset).time_since_epoch());
    };
    auto wall_from = to_wall(at, info.offset);
    const auto wall_end = to_wall(period_end, info.offset);

    std::optional<date::sys_seconds> best;
    // The DST change that began this period, if we counted from before it.
    if (after < info.begin) {
      const auto before = zone->get_info(info.begin - seconds(1));
      const auto shift = info.offset - before.offset;
      if (shift < seconds(0) && !expr.every_hour()) {
        // Clocks went back: the repeated wall times ran in the first pass already.
        wall_from = std::max(wall_from, to_wall(info.begin, before.offset));
      } else if (shift > seconds(0) && !expr.every_hour()) {
        // Clocks went forward: the first skipped time runs as much later as was skipped.
        const auto gap_begin = to_wall(info.begin, before.offset);
        if (auto w = expr.next_wall(gap_begin, to_wall(info.begin, info.offset))) {
          best = info.begin + (*w - gap_begin);
        }
      }
    }
    if (wall_from < wall_end) {
      if (auto w = expr.next_wall(wall_from, wall_end)) {
        auto t = date::sys_seconds(w->time_since_epoch()) - info.offset;
        if (!best || t < *best) best = t;
      }
    }
    if (best) return duration_cast<milliseconds>(best->time_since_epoch()).count();
    at = period_end;
  }
  return std::nullopt;
}

}  // namespace drover::detail
