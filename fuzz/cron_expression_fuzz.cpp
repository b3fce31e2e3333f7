// cron_expression_fuzz.cpp - libFuzzer harness of cron expressions and their next run
// times (src/core/cron_expression.cpp, src/core/cron_schedule.cpp).
//
// Input: the expression as text; the bytes at the end, when there are any, pick the time
// zone and the instant to count from (FuzzedDataProvider takes numbers from the end, so
// a seed file is just an expression). Properties: parse either refuses with
// drover::error or gives an expression whose next wall time lies in the window asked for
// and matches its day; the next run in a zone is strictly later, on a whole second,
// within the ten-year horizon.
#include <fuzzer/FuzzedDataProvider.h>

#include <date/tz.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/cron_expression.hpp"
#include "core/cron_schedule.hpp"
#include "drover/error.hpp"

using namespace std::chrono;
using drover::detail::cron_expression;

namespace {

// Zones with the transitions that matter: none, an hour either way in each hemisphere,
// half an hour (Lord Howe), and a zone that skipped a whole day (Apia, end of 2011).
constexpr std::array zones{"UTC",          "America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
                           "Pacific/Apia", "Asia/Kolkata"};
constexpr std::int64_t ten_years_ms = 3653LL * 86400 * 1000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto zone_name = zones[in.ConsumeIntegralInRange<std::size_t>(0, zones.size() - 1)];
  // 1970 to 2100, as milliseconds.
  const auto after_ms = in.ConsumeIntegralInRange<std::int64_t>(0, 4102444800000LL);
  auto text = in.ConsumeRemainingBytesAsString();
  if (text.size() > 256) return 0;

  std::optional<cron_expression> expr;
  try {
    expr = cron_expression::parse(text);
  } catch (const drover::error&) {
    return 0;
  }

  const auto from = date::local_seconds(seconds(after_ms / 1000));
  const auto limit = from + date::days(400);
  if (auto next = expr->next_wall(from, limit)) {
    if (*next < from || *next >= limit) std::abort();
    if (!expr->day_matches(date::year_month_day(date::floor<date::days>(*next)))) std::abort();
  }

  const auto* zone = drover::detail::find_time_zone(zone_name);
  if (auto run = drover::detail::next_cron_run(*expr, zone, after_ms)) {
    if (*run <= after_ms || *run % 1000 != 0 || *run > after_ms + ten_years_ms + 86400000) std::abort();
  }
  return 0;
}
