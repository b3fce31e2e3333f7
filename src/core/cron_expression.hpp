// cron_expression.hpp - cron expressions as Node's cron-parser (bullmq's scheduler) reads them.
//
// Supported (what cron-parser 5 accepts, checked against a table it generated):
//  - 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); fewer
//    fields are padded from the left with "0 * * * * *", and "" means "0 * * * * *".
//  - `*`, `?` (same as `*`), lists `a,b`, ranges `a-b`, steps `*/n`, `a/n`, `a-b/n`.
//  - month names JAN..DEC and day names SUN..SAT (any case); day of week 0-7, 7 is Sunday.
//  - `L` in day of month (last day, also in a list: `1,L`), `<d>L` in day of week (the last
//    such weekday of the month), `<d>#<n>` (the n-th such weekday, n in 1..5, alone).
//  - when both day of month and day of week are restricted, a day matching either runs.
//  - aliases @yearly @annually @monthly @weekly @daily @hourly @minutely @secondly
//    @weekdays @weekends (lower case, as cron-parser).
// Not supported: cron-parser's hashed `H` values (random per parse unless seeded, so a
// schedule would not be the same in Node and C++), `W`, `L-n`, and quirks such as
// `1-2-3` (read by cron-parser as `1-2`). They are refused with invalid_argument.
#pragma once

#include <date/date.h>

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace drover::detail {

class cron_expression {
 public:
  // Throws drover::error(invalid_argument) naming the field that is wrong.
  static cron_expression parse(std::string_view expression);

  // The earliest wall-clock time in [from, limit) that matches, seconds precision.
  std::optional<date::local_seconds> next_wall(date::local_seconds from, date::local_seconds limit) const;

  // True when every hour of the day is allowed. cron-parser then runs both passes of a
  // repeated (DST fall-back) hour and never shifts times out of a skipped one.
  bool every_hour() const { return hours_.all(); }

  bool day_matches(const date::year_month_day& ymd) const;
  bool month_matches(unsigned month) const { return months_.test(month); }

  // The time fields one at a time, for cron_schedule's search, which steps through them as
  // cron-parser's does so that its daylight-saving quirks come out the same.
  enum class time_field { second, minute, hour };
  bool allows(time_field field, int value) const;
  // The smallest allowed value above `value` (-1 for the smallest of all), if any.
  std::optional<int> next_above(time_field field, int value) const;

 private:
  std::optional<std::chrono::seconds> first_time_from(std::chrono::seconds time_of_day) const;

  std::bitset<60> seconds_, minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;          // 1..31
  std::bitset<13> months_;        // 1..12
  std::bitset<7> weekdays_;       // 0 = Sunday
  std::bitset<7> last_weekdays_;  // `<d>L`
  bool last_day_ = false;         // `L` in day of month
  int nth_ = 0;                   // `<d>#<n>`: n, 0 when unused
  bool any_day_of_month_ = true;  // the field is `*` or `?`
  bool any_day_of_week_ = true;
};

}  // namespace drover::detail
