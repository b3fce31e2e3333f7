// local_token_buckets_test.cpp - the limiter's buckets in this process: a burst, a refill,
// one token from every bucket or from none, and a bounded table.
#include "api/local_token_buckets.hpp"

#include <gtest/gtest.h>

namespace drover::api {
namespace {

using namespace std::chrono_literals;
using clock = local_token_buckets::clock;

TEST(local_token_buckets, a_burst_then_one_token_per_refill) {
  local_token_buckets b;
  const auto t0 = clock::time_point{} + 1h;
  const std::vector<local_token_buckets::bucket> user{{"u", rate_limit{2, 3}}};  // 2/s, 3 at once
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.take(user, t0), std::nullopt) << i;
  EXPECT_EQ(b.take(user, t0), 500ms);
  EXPECT_EQ(b.take(user, t0 + 499ms), 2ms);
  EXPECT_EQ(b.take(user, t0 + 500ms), std::nullopt);
  EXPECT_EQ(b.take(user, t0 + 500ms), 500ms);
  // Never more than the burst, however long it rested.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.take(user, t0 + 1h), std::nullopt) << i;
  EXPECT_NE(b.take(user, t0 + 1h), std::nullopt);
}

TEST(local_token_buckets, takes_from_every_bucket_or_from_none) {
  local_token_buckets b;
  const auto t0 = clock::time_point{} + 1h;
  const rate_limit one{0.5, 1};
  EXPECT_EQ(b.take({{"user:a", one}, {"address:x", rate_limit{1, 5}}}, t0), std::nullopt);
  // The user's is empty: the address's keeps its token, and the wait is the user's.
  EXPECT_EQ(b.take({{"user:a", one}, {"address:x", rate_limit{1, 5}}}, t0), 2000ms);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.take({{"address:x", rate_limit{1, 5}}}, t0), std::nullopt) << i;
  EXPECT_EQ(b.take({{"address:x", rate_limit{1, 5}}}, t0), 1000ms);
  // A disabled limit has no bucket.
  EXPECT_EQ(b.take({{"off", rate_limit{}}}, t0), std::nullopt);
  EXPECT_EQ(b.size(), 2u);
}

TEST(local_token_buckets, the_table_stays_bounded_by_forgetting_full_buckets) {
  local_token_buckets b;
  const auto t0 = clock::time_point{} + 1h;
  const rate_limit limit{1, 2};
  for (std::size_t i = 0; i < local_token_buckets::max_buckets; ++i) {
    EXPECT_EQ(b.take({{"k" + std::to_string(i), limit}}, t0), std::nullopt);
  }
  EXPECT_EQ(b.size(), local_token_buckets::max_buckets);
  // A second later each holds its burst again, which a new bucket would: forgotten.
  EXPECT_EQ(b.take({{"new", limit}}, t0 + 1s), std::nullopt);
  EXPECT_EQ(b.size(), 1u);
}

}  // namespace
}  // namespace drover::api
