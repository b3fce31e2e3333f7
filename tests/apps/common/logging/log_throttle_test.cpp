// log_throttle_test.cpp - a failure repeated per request is logged once per period, with a count.
#include <drover_app/logging/log_throttle.hpp>

#include <gtest/gtest.h>

namespace drover::app {
namespace {

using namespace std::chrono_literals;

TEST(log_throttle, logs_the_first_then_one_per_period_with_what_it_left_out) {
  log_throttle t(5s);
  const auto start = log_throttle::clock::time_point(100s);
  EXPECT_EQ(t.admit(start), 0u);
  EXPECT_FALSE(t.admit(start + 1ms));
  EXPECT_FALSE(t.admit(start + 4999ms));
  EXPECT_EQ(t.admit(start + 5s), 2u);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(t.admit(start + 6s));
  EXPECT_EQ(t.admit(start + 10s), 10u);
  // After a quiet spell the next failure is logged at once, with nothing left out.
  EXPECT_EQ(t.admit(start + 60s), 0u);
}

}  // namespace
}  // namespace drover::app
