// login_throttle_test.cpp - failed dashboard logins per address and per user name, on a
// clock the test moves.
#include <gtest/gtest.h>

#include <string>

#include "httpd/login_throttle.hpp"

using namespace std::chrono_literals;
using drover::httpd::login_throttle;
using drover::httpd::login_throttle_options;

namespace {

login_throttle_options small() {
  login_throttle_options o;
  o.address_burst = 3;
  o.address_interval = 10s;
  o.user_burst = 5;
  o.user_interval = 20s;
  o.max_entries = 100;
  return o;
}

}  // namespace

TEST(LoginThrottle, AnAddressIsBlockedAfterItsBurstAndFreedByTime) {
  login_throttle t(small());
  auto now = login_throttle::clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.blocked("10.0.0.1", "alice", now), 0ms) << i;
    t.failed("10.0.0.1", "alice", now);
  }
  EXPECT_EQ(t.blocked("10.0.0.1", "alice", now), 10s);
  EXPECT_EQ(t.blocked("10.0.0.1", "bob", now), 10s) << "the address is blocked whatever the name";
  EXPECT_EQ(t.blocked("10.0.0.2", "alice", now), 0ms) << "another address may still try alice";
  EXPECT_EQ(t.blocked("10.0.0.1", "alice", now + 4s), 6s);
  EXPECT_EQ(t.blocked("10.0.0.1", "alice", now + 10s), 0ms);
}

TEST(LoginThrottle, AnIpv6ClientIsOneAddressAcrossItsSlash64) {
  login_throttle t(small());
  auto now = login_throttle::clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) t.failed("2001:db8:0:7::" + std::to_string(i + 1), "user" + std::to_string(i), now);
  EXPECT_EQ(t.blocked("2001:db8:0:7:ffff::1", "someone", now), 10s) << "a fresh address of the same /64";
  EXPECT_EQ(t.blocked("2001:db8:0:8::1", "someone", now), 0ms);
}

TEST(LoginThrottle, AUserNameIsBlockedAcrossAddresses) {
  login_throttle t(small());
  auto now = login_throttle::clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) t.failed("10.0.1." + std::to_string(i), "token", now);
  EXPECT_EQ(t.blocked("10.0.2.1", "token", now), 20s);
  EXPECT_EQ(t.blocked("10.0.2.1", "alice", now), 0ms);
  EXPECT_EQ(t.blocked("10.0.2.1", "token", now + 20s), 0ms);
}

TEST(LoginThrottle, EmptySidesAreNotThrottled) {
  login_throttle t(small());
  auto now = login_throttle::clock::time_point{} + 1h;
  for (int i = 0; i < 10; ++i) t.failed("", "", now);
  EXPECT_EQ(t.blocked("", "", now), 0ms);
  EXPECT_EQ(t.tracked_addresses(), 0u);
  EXPECT_EQ(t.tracked_users(), 0u);
}

TEST(LoginThrottle, TheTableStaysBoundedUnderAFloodOfNames) {
  login_throttle t(small());
  auto now = login_throttle::clock::time_point{} + 1h;
  // A blocked address keeps being blocked while many other entries come and go.
  for (int i = 0; i < 3; ++i) t.failed("10.9.9.9", "victim", now);
  for (int i = 0; i < 1000; ++i) t.failed("10.1." + std::to_string(i), "user" + std::to_string(i), now);
  EXPECT_LE(t.tracked_addresses(), 100u);
  EXPECT_LE(t.tracked_users(), 100u);
  EXPECT_GT(t.blocked("10.9.9.9", "victim", now), 0ms) << "the most throttled entries are kept";
}
