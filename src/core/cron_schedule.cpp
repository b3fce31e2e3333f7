// cron_schedule.cpp - the next instant a cron expression runs in a time zone.
//
// At DST changes cron-parser's answers follow from the order of its search steps rather
// than from a rule about wall-clock times, so the search here takes the same steps (see
// search_position) and resolves wall-clock times to instants as luxon does.
#include "core/cron_schedule.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "drover/error.hpp"

namespace drover::detail {

using namespace std::chrono;

namespace {

constexpr auto search_horizon = date::days(3653);
// cron-parser gives up (throws) after this many steps; every run it finds takes fewer.
constexpr int step_limit = 10000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

using field = cron_expression::time_field;
enum class unit { second, minute, hour, day, month };

// cron-parser's search position: an instant shown in the offset it was reached with, and
// the marks its steps leave at DST changes. cron-parser's DST behaviour is not a rule about
// wall-clock times but a by-product of how it steps (a day step lands at the day's first
// existing second and forgets a skipped midnight; an hour step over a gap of a whole hour
// or more lets the landing hour stand in for the skipped ones; a 30-minute gap does
// neither), so matching it means taking the same steps and resolving each wall-clock
// time the way luxon does.
class search_position {
 public:
  search_position(const cron_expression& expr, const date::time_zone* zone, date::sys_seconds at)
      : expr_(expr), zone_(zone), at_(at), offset_(offset_at(at)) {}

  date::sys_seconds instant() const { return at_; }
  date::local_seconds wall() const { return date::local_seconds((at_ + offset_).time_since_epoch()); }
  date::local_days day() const { return date::floor<date::days>(wall()); }
  date::year_month_day date() const { return date::year_month_day(day()); }
  int hour() const { return static_cast<int>(date::floor<hours>(wall() - day()).count()); }
  int minute() const { return static_cast<int>(date::floor<minutes>(wall() - date::floor<hours>(wall())).count()); }
  int second() const { return static_cast<int>((wall() - date::floor<minutes>(wall())).count()); }

  // A step forward by one unit; below a day it also notes the DST change it crossed.
  void step(unit u) {
    if (u == unit::month) {
      const auto ymd = date();
      const auto next = date::year_month(ymd.year(), ymd.month()) + date::months(1);
      const auto last = date::year_month_day_last(next.year(), date::month_day_last(next.month())).day();
      set_wall(date::local_days(next / std::min(ymd.day(), last)) + (wall() - day()));
      set_wall(date::local_days(date().year() / date().month() / 1));
      return;
    }
    if (u == unit::day) {
      set_wall(wall() + date::days(1));
      set_wall(day());
      return;
    }
    const int hour_before = hour();
    const auto offset_before = offset_;
    // Sub-day steps add elapsed time, then truncate on the wall clock.
    at_ += u == unit::second ? seconds(1) : u == unit::minute ? seconds(60) : seconds(3600);
    offset_ = offset_at(at_);
    if (u == unit::minute) set_wall(date::floor<minutes>(wall()));
    if (u == unit::hour) set_wall(date::floor<hours>(wall()));
    const int advance = (hour() - hour_before + 24) % 24;
    // Only patterns that leave out some hours are affected by these marks.
    if (offset_ > offset_before && advance >= 2) {
      if (!expr_.every_hour()) {
        gap_first_hour_ = (hour_before + 1) % 24;
        gap_landing_hour_ = hour();
      }
    } else if (advance == 0 && minute() == 0 && second() == 0) {
      if (!expr_.every_hour()) repeated_hour_ = hour();
    }
  }

  void set_hour(int h) { set_wall(day() + hours(h) + (wall() - date::floor<hours>(wall()))); }
  void set_minute(int m) { set_wall(date::floor<hours>(wall()) + minutes(m) + seconds(second())); }
  void set_second(int s) { set_wall(date::floor<minutes>(wall()) + seconds(s)); }

  // The landing hour of a gap the search stepped over stands in for the skipped hours.
  bool stands_in_for_skipped_hour() const {
    if (!gap_first_hour_ || gap_landing_hour_ != hour()) return false;
    for (int h = *gap_first_hour_; h != hour(); h = (h + 1) % 24) {
      if (expr_.allows(field::hour, h)) return true;
    }
    return false;
  }
  void forget_gap() { gap_first_hour_.reset(), gap_landing_hour_.reset(); }
  // The second pass of a repeated hour that was reached by stepping, consumed on asking.
  bool in_repeated_hour() {
    if (repeated_hour_ != hour()) return false;
    repeated_hour_.reset();
    return true;
  }

  // Whether the UTC offset at the day's start differs from the one at its end (cron-parser
  // steps hour by hour on such days); remembered per day as cron-parser does, because an
  // ambiguous midnight can answer differently depending on the offset it is asked from.
  bool on_transition_day() {
    if (checked_day_ != day()) {
      checked_day_ = day();
      // The day's end is, as luxon takes it, a second before the next day's start.
      const auto [next_at, next_offset] = resolve(wall() + date::days(1), offset_);
      const auto next_wall = date::local_seconds((next_at + next_offset).time_since_epoch());
      const auto next_start = resolve(date::floor<date::days>(next_wall), next_offset).first;
      transition_day_ = resolve(day(), offset_).second != offset_at(next_start - seconds(1));
    }
    return transition_day_;
  }

 private:
  // No zone is UTC (find_time_zone's answer for it, which needs no time zone database).
  seconds offset_at(date::sys_seconds t) const { return zone_ ? zone_->get_info(t).offset : seconds(0); }

  // A wall-clock time as an instant, as luxon resolves it from a guessed offset: the guess
  // wins when valid (so an ambiguous time keeps the current side), and a time in a gap
  // moves forward by the gap's length.
  std::pair<date::sys_seconds, seconds> resolve(date::local_seconds w, seconds guess) const {
    const auto as_utc = [&](seconds offset) { return date::sys_seconds(w.time_since_epoch() - offset); };
    auto t = as_utc(guess);
    const auto o2 = offset_at(t);
    if (o2 == guess) return {t, guess};
    t -= o2 - guess;
    const auto o3 = offset_at(t);
    if (o2 == o3) return {t, o2};
    return {as_utc(std::min(o2, o3)), std::max(o2, o3)};
  }
  void set_wall(date::local_seconds w) { std::tie(at_, offset_) = resolve(w, offset_); }

  const cron_expression& expr_;
  const date::time_zone* zone_;
  date::sys_seconds at_;
  seconds offset_;
  std::optional<int> gap_first_hour_, gap_landing_hour_, repeated_hour_;
  std::optional<date::local_days> checked_day_;
  bool transition_day_ = false;
};

// cron-parser's hour check: true when the hour may run; otherwise it has moved on.
bool hour_may_run(const cron_expression& expr, search_position& p) {
  if (p.stands_in_for_skipped_hour()) return true;
  if (p.in_repeated_hour()) {
    p.step(unit::hour);
    return false;
  }
  if (expr.allows(field::hour, p.hour())) return true;
  p.forget_gap();
  const auto next = expr.next_above(field::hour, p.hour());
  if (!next) {
    p.step(unit::day);
    return false;
  }
  if (p.on_transition_day()) {
    // Stepping notes the DST change; a step over a gap may pass the hour wanted.
    for (int steps = *next - p.hour(); steps > 0; --steps) {
      p.step(unit::hour);
      if (p.hour() >= *next) break;
    }
  } else {
    p.set_hour(*next);
  }
  p.set_minute(*expr.next_above(field::minute, -1));
  p.set_second(*expr.next_above(field::second, -1));
  return false;
}

bool same_letters(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Node's BullMQ takes zone names in any letter case (luxon asks Intl, which does):
// "europe/berlin" is Europe/Berlin there, and a Node scheduler so written stopped for good
// after one run on a drover worker (a Node user's review).
const date::time_zone* locate_zone_any_case(std::string_view name) {
  const auto& db = date::get_tzdb();
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    // not under that exact name: its case, then
  }
  const auto same = [name](std::string_view other) { return same_letters(name, other); };
  for (const auto& zone : db.zones) {
    if (same(zone.name())) return &zone;
  }
#if !USE_OS_TZDB  // else the links are among the zones
  for (const auto& link : db.links) {
    if (same(link.name())) return date::locate_zone(link.target());
  }
#endif
  return date::locate_zone(name);  // throws, with the library's words
}

}  // namespace

namespace {

// UTC by any of its names, and TZ's POSIX spellings of it ("UTC0"): no database needed, so
// that a machine without tzdata (a slim container) still runs UTC and tz-less schedulers.
bool names_utc(std::string_view name) {
  for (std::string_view utc : {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Universal", "Etc/Universal",
                               "Zulu", "Etc/Zulu", "Z", "UTC0", "GMT0", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0"}) {
    if (same_letters(name, utc)) return true;
  }
  return false;
}

// What a failed lookup says: that the machine has no time zone database, when it has none
// (the name itself was fine: an outside review was told to use the name it gave).
std::string lookup_failure(std::string_view what, const std::exception& e) {
  std::error_code ec;
  if (!std::filesystem::exists("/usr/share/zoneinfo", ec)) {
    return fmt::format(
        "{} cannot be read: this machine has no time zone database (/usr/share/zoneinfo; install the tzdata "
        "package). Only UTC works without it",
        what);
  }
  return fmt::format("{} is unknown ({}); use an IANA name such as Europe/Berlin", what, e.what());
}

// The process's local zone, as Node (luxon) takes it: TZ first (":Area/City", or a path
// into the zone database), then /etc/localtime; UTC when neither names one.
const date::time_zone* local_zone() {
  const char* env = std::getenv("TZ");
  std::string_view tz = env ? env : "";
  if (!tz.empty() && tz.front() == ':') tz.remove_prefix(1);
  if (const auto at = tz.find("/zoneinfo/"); !tz.empty() && tz.front() == '/' && at != std::string_view::npos) {
    tz.remove_prefix(at + std::string_view("/zoneinfo/").size());
  }
  if (names_utc(tz)) return nullptr;
  if (tz.empty()) {
    try {
      return date::current_zone();
    } catch (const std::exception&) {
      return nullptr;  // no /etc/localtime (or no database to read it with): UTC, as Node
    }
  }
  try {
    return locate_zone_any_case(tz);
  } catch (const std::exception& e) {
    throw error(errc::invalid_argument,
                lookup_failure(fmt::format("the local time zone (TZ='{}'; POSIX rules such as EST+5 are not read, set "
                                           "TZ to an IANA name such as America/New_York, or give the scheduler a tz)",
                                           tz),
                               e));
  }
}

}  // namespace

const date::time_zone* find_time_zone(std::string_view name) {
  // luxon's names for the local zone.
  if (name.empty() || same_letters(name, "system") || same_letters(name, "local")) return local_zone();
  if (names_utc(name)) return nullptr;
  try {
    return locate_zone_any_case(name);
  } catch (const std::exception& e) {
    throw error(errc::invalid_argument, lookup_failure(fmt::format("time zone '{}'", name), e));
  }
}

std::optional<std::int64_t> next_cron_run(const cron_expression& expr, const date::time_zone* zone,
                                          std::int64_t after_ms) {
  search_position p(expr, zone, date::sys_seconds(seconds(floor_div(after_ms, 1000))));
  const auto ms_of = [](date::sys_seconds t) { return duration_cast<milliseconds>(t.time_since_epoch()).count(); };
  // A run is on a whole second, strictly later than `after_ms`.
  if (ms_of(p.instant()) != after_ms) p.step(unit::second);
  const auto horizon = p.instant() + search_horizon;

  for (int steps = 1; steps < step_limit && p.instant() < horizon; ++steps) {
    if (!expr.month_matches(static_cast<unsigned>(p.date().month()))) {
      p.step(unit::month);
    } else if (!expr.day_matches(p.date())) {
      p.step(unit::day);
    } else if (!hour_may_run(expr, p)) {
      continue;
    } else if (!expr.allows(field::minute, p.minute())) {
      if (auto m = expr.next_above(field::minute, p.minute())) {
        p.set_minute(*m);
      } else {
        p.step(unit::hour);
        p.set_minute(*expr.next_above(field::minute, -1));
      }
      p.set_second(*expr.next_above(field::second, -1));
    } else if (!expr.allows(field::second, p.second())) {
      if (auto s = expr.next_above(field::second, p.second())) {
        p.set_second(*s);
      } else {
        p.step(unit::minute);
        p.set_second(*expr.next_above(field::second, -1));
      }
    } else if (ms_of(p.instant()) == after_ms) {
      p.step(unit::second);
    } else {
      return ms_of(p.instant());
    }
  }
  // Nothing within ten years, or cron-parser's step limit reached (where it throws).
  return std::nullopt;
}

}  // namespace drover::detail
