// retry_after_test.cpp - Retry-After read as seconds or as an HTTP date, and capped.
#include "workers/retry_after.hpp"

#include <gtest/gtest.h>

namespace drover::workers {
namespace {

using namespace std::chrono_literals;

TEST(retry_after, is_read_in_seconds_or_as_a_date_and_capped) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  const std::chrono::milliseconds longest = 5min;
  EXPECT_EQ(retry_after_wait("120", now, longest), 120s);
  EXPECT_EQ(retry_after_wait(" 0 ", now, longest), 0ms);
  EXPECT_EQ(retry_after_wait("99999999999999999999999", now, longest), longest);
  EXPECT_EQ(retry_after_wait("Sun, 06 Nov 1994 08:50:07 GMT", now, longest), 30s);
  EXPECT_EQ(retry_after_wait("Sun, 06 Nov 1994 08:00:00 GMT", now, longest), 0ms);  // past
  EXPECT_EQ(retry_after_wait("Mon, 06 Nov 1995 08:49:37 GMT", now, longest), longest);
  EXPECT_EQ(retry_after_wait("", now, longest), std::nullopt);
  EXPECT_EQ(retry_after_wait("-5", now, longest), std::nullopt);
  EXPECT_EQ(retry_after_wait("1.5", now, longest), std::nullopt);
  EXPECT_EQ(retry_after_wait("soon", now, longest), std::nullopt);
  EXPECT_EQ(retry_after_wait("Sunday, 06-Nov-94 08:49:37 GMT", now, longest), std::nullopt);  // obsolete form
}

// The model server's cap is its own (ten seconds), shorter than the webhooks' five
// minutes: a date an hour away waits the cap, a number below it is kept.
TEST(retry_after, each_caller_gives_its_own_cap) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(retry_after_wait("Sun, 06 Nov 1994 09:49:37 GMT", now, 8s), 8s);
  EXPECT_EQ(retry_after_wait("8", now, 8s), 8s);
  EXPECT_EQ(retry_after_wait("7", now, 8s), 7s);
  EXPECT_EQ(retry_after_wait("3600", now, 8s), 8s);
}

}  // namespace
}  // namespace drover::workers
