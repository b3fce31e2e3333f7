// bearer_token_test.cpp - a fixed bearer token (METRICS_TOKEN): the comparison, and guesses
// throttled per client address with the dashboard's failed-credential throttle.
#include <gtest/gtest.h>

#include <string>

#include "httpd/bearer_token.hpp"

using drover::httpd::admit_bearer_token;
using drover::httpd::bearer_token_matches;
using drover::httpd::login_throttle;

TEST(BearerToken, MatchesOnlyTheSameTokenAfterTheScheme) {
  EXPECT_TRUE(bearer_token_matches("Bearer scrape-me", "scrape-me"));
  EXPECT_TRUE(bearer_token_matches("bearer scrape-me ", "scrape-me"));
  EXPECT_FALSE(bearer_token_matches("Bearer scrape-m", "scrape-me"));
  EXPECT_FALSE(bearer_token_matches("Basic scrape-me", "scrape-me"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
}

// The review's finding: 15 wrong tokens all got 401, never 429.
TEST(BearerToken, WrongTokensFromOneAddressAreThrottledAfterTheBurst) {
  login_throttle throttle;  // the defaults: 10 failures, then one a minute
  std::string statuses;
  for (int i = 0; i < 15; ++i) {
    auto v = admit_bearer_token("Bearer guess-" + std::to_string(i), "scrape-me", "203.0.113.7", throttle);
    EXPECT_FALSE(v.admitted);
    statuses += v.retry_after.count() > 0 ? 'T' : 'R';
  }
  EXPECT_EQ(statuses, std::string(10, 'R') + std::string(5, 'T'));
  // Blocked before the token is compared: even the right one waits.
  auto right = admit_bearer_token("Bearer scrape-me", "scrape-me", "203.0.113.7", throttle);
  EXPECT_FALSE(right.admitted);
  EXPECT_GT(right.retry_after.count(), 0);
  // Another address (the real scraper) is not held up by the guesser.
  auto other = admit_bearer_token("Bearer scrape-me", "scrape-me", "198.51.100.2", throttle);
  EXPECT_TRUE(other.admitted);
  EXPECT_EQ(other.retry_after.count(), 0);
  EXPECT_EQ(throttle.tracked_users(), 0u) << "no per-name side for a fixed token";
}

TEST(BearerToken, NoHeaderIsAPromptAndNoTokenAdmitsEveryone) {
  login_throttle throttle;
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(admit_bearer_token("", "scrape-me", "203.0.113.7", throttle).admitted);
  EXPECT_EQ(throttle.tracked_addresses(), 0u);
  EXPECT_TRUE(admit_bearer_token("", "", "203.0.113.7", throttle).admitted);
  EXPECT_TRUE(admit_bearer_token("Bearer anything", "", "203.0.113.7", throttle).admitted);
}
