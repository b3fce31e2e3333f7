// js_number_test.cpp - whole numbers read from JSON as Node's BullMQ reads them.
#include "core/js_number.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "drover/json.hpp"

namespace drover {
namespace {

double trunc_of(double d) { return std::trunc(d); }
double ceil_of(double d) { return std::ceil(d); }

TEST(js_number, exact_integers_are_whole_numbers_within_two_to_the_53) {
  EXPECT_EQ(as_exact_integer(parse_json("42")), 42);
  EXPECT_EQ(as_exact_integer(parse_json("-7")), -7);
  EXPECT_EQ(as_exact_integer(parse_json("3.0")), 3);
  EXPECT_EQ(as_exact_integer(parse_json("2.5")), std::nullopt);
  EXPECT_EQ(as_exact_integer(parse_json("9007199254740992.0")), std::nullopt);
  EXPECT_EQ(as_exact_integer(parse_json("\"3\"")), std::nullopt);
  EXPECT_EQ(as_exact_integer(parse_json("18446744073709551615")), std::nullopt);
}

TEST(js_number, loose_integers_take_text_and_fractions_as_javascript_does) {
  EXPECT_EQ(as_loose_integer(parse_json("\"700\""), trunc_of), 700);
  EXPECT_EQ(as_loose_integer(parse_json("\" 3 \""), trunc_of), 3);
  EXPECT_EQ(as_loose_integer(parse_json("2.5"), trunc_of), 2);
  EXPECT_EQ(as_loose_integer(parse_json("2.5"), ceil_of), 3);
  EXPECT_EQ(as_loose_integer(parse_json("\"1e3\""), trunc_of), 1000);
  EXPECT_EQ(as_loose_integer(parse_json("1e300"), trunc_of), 9007199254740992);
}

TEST(js_number, loose_integers_refuse_what_is_not_a_number) {
  EXPECT_EQ(as_loose_integer(parse_json("\"\""), trunc_of), std::nullopt);
  EXPECT_EQ(as_loose_integer(parse_json("\"12ms\""), trunc_of), std::nullopt);
  EXPECT_EQ(as_loose_integer(parse_json("\"nan\""), trunc_of), std::nullopt);
  EXPECT_EQ(as_loose_integer(parse_json("true"), trunc_of), std::nullopt);
  EXPECT_EQ(as_loose_integer(parse_json("null"), trunc_of), std::nullopt);
}

TEST(js_number, loose_numbers_keep_their_fraction) {
  EXPECT_EQ(as_loose_number(parse_json("\"0.5\"")), 0.5);
  EXPECT_EQ(as_loose_number(parse_json("0.25")), 0.25);
  EXPECT_EQ(as_loose_number(parse_json("3")), 3.0);
  EXPECT_EQ(as_loose_number(parse_json("\"x\"")), std::nullopt);
  EXPECT_EQ(as_loose_number(parse_json("\"inf\"")), std::nullopt);
  EXPECT_EQ(as_loose_number(parse_json("null")), std::nullopt);
}

}  // namespace
}  // namespace drover
