// cron_expression_test.cpp - parsing and wall-clock matching, without time zones.
#include "core/cron_expression.hpp"

#include <gtest/gtest.h>

#include "drover/error.hpp"

using drover::detail::cron_expression;
using namespace date::literals;

namespace {

date::local_seconds wall(date::year_month_day d, int h, int m, int s) {
  return date::local_days(d) + std::chrono::hours(h) + std::chrono::minutes(m) + std::chrono::seconds(s);
}

std::optional<date::local_seconds> next(const char* pattern, date::local_seconds from) {
  return cron_expression::parse(pattern).next_wall(from, from + date::days(3000));
}

}  // namespace

TEST(cron_expression, five_fields_start_at_second_zero) {
  EXPECT_EQ(next("5 4 * * *", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 1 / 1, 4, 5, 0));
}

TEST(cron_expression, six_fields_have_seconds_first) {
  EXPECT_EQ(next("*/20 * * * * *", wall(2026_y / 1 / 1, 0, 0, 21)), wall(2026_y / 1 / 1, 0, 0, 40));
}

TEST(cron_expression, names_and_sunday_as_seven) {
  // 2026-01-01 is a Thursday.
  EXPECT_EQ(next("0 0 * * SAT", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 1 / 3, 0, 0, 0));
  EXPECT_EQ(next("0 0 * * 7", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 1 / 4, 0, 0, 0));
  EXPECT_EQ(next("0 0 1 jul *", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 7 / 1, 0, 0, 0));
}

TEST(cron_expression, last_day_and_nth_weekday) {
  EXPECT_EQ(next("0 0 L 2 *", wall(2028_y / 1 / 1, 0, 0, 0)), wall(2028_y / 2 / 29, 0, 0, 0));
  EXPECT_EQ(next("0 0 * * 5L", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 1 / 30, 0, 0, 0));
  EXPECT_EQ(next("0 0 * * 5#3", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 1 / 16, 0, 0, 0));
}

TEST(cron_expression, either_day_field_matches_when_both_are_set) {
  // The 13th, or any Friday: 2026-01-02 is a Friday.
  EXPECT_EQ(next("0 0 13 * 5", wall(2026_y / 1 / 1, 0, 0, 1)), wall(2026_y / 1 / 2, 0, 0, 0));
}

TEST(cron_expression, aliases) {
  EXPECT_EQ(next("@daily", wall(2026_y / 1 / 1, 0, 0, 1)), wall(2026_y / 1 / 2, 0, 0, 0));
  EXPECT_EQ(next("@weekends", wall(2026_y / 1 / 1, 0, 0, 0)), wall(2026_y / 1 / 3, 0, 0, 0));
}

TEST(cron_expression, every_hour_is_known) {
  EXPECT_TRUE(cron_expression::parse("*/5 * * * *").every_hour());
  EXPECT_TRUE(cron_expression::parse("0 0-23 * * *").every_hour());
  EXPECT_FALSE(cron_expression::parse("0 */2 * * *").every_hour());
}

TEST(cron_expression, refusals_name_the_field) {
  try {
    cron_expression::parse("0 25 * * *");
    FAIL() << "accepted hour 25";
  } catch (const drover::error& e) {
    EXPECT_NE(std::string(e.what()).find("hour field"), std::string::npos) << e.what();
  }
  try {
    cron_expression::parse("H * * * *");
    FAIL() << "accepted H";
  } catch (const drover::error& e) {
    EXPECT_NE(std::string(e.what()).find("not supported"), std::string::npos) << e.what();
  }
}

// A schedules review: cron-parser refuses a value two list items give, and a Node worker
// then never ran the job a drover-made scheduler planned; one item's own range repeats
// nothing.
TEST(cron_expression, a_value_two_list_items_give_is_refused_as_cron_parser_does) {
  for (const char* twice : {"0 0 * * 0,7", "0 0 * * SUN,7", "0 0 * * 5-7,0", "0 0 * * 1-5,MON", "0 9,9 * * *",
                            "*/2,10 * * * * *", "0 0 1,1-3 * *", "0 0 * JAN,1 *"}) {
    try {
      drover::detail::cron_expression::parse(twice);
      ADD_FAILURE() << twice << " was taken";
    } catch (const drover::error& e) {
      EXPECT_NE(std::string(e.what()).find("duplicate values found"), std::string::npos) << e.what();
    }
  }
  for (const char* once : {"0 0 * * 0-7", "0 0 * * 5-7", "0 0 * * 1-5,0", "0 0 1,15 * *", "*/15 * * * * *"}) {
    EXPECT_NO_THROW(drover::detail::cron_expression::parse(once)) << once;
  }
}
