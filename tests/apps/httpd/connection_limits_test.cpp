// connection_limits_test.cpp - the HTTP server's connection caps, without sockets.
#include "httpd/connection_limits.hpp"

#include <gtest/gtest.h>

#include <vector>

using drover::httpd::connection_limits;
using verdict = connection_limits::verdict;

TEST(ConnectionLimits, AdmitsUpToTheTotalAndPerAddressCaps) {
  connection_limits limits(3, 2);
  std::vector<connection_limits::slot> held(6);
  EXPECT_EQ(limits.admit("10.0.0.1", held[0]), verdict::admitted);
  EXPECT_EQ(limits.admit("10.0.0.1", held[1]), verdict::admitted);
  EXPECT_EQ(limits.admit("10.0.0.1", held[2]), verdict::too_many_from_address);
  EXPECT_FALSE(held[2]);
  EXPECT_EQ(limits.admit("10.0.0.2", held[3]), verdict::admitted);
  EXPECT_EQ(limits.admit("10.0.0.3", held[4]), verdict::too_many_total);
  EXPECT_EQ(limits.open(), 3u);
  EXPECT_EQ(limits.open_from("10.0.0.1"), 2u);

  held[0] = {};  // a connection ends
  EXPECT_EQ(limits.open(), 2u);
  EXPECT_EQ(limits.admit("10.0.0.3", held[4]), verdict::admitted);
  held.clear();
  EXPECT_EQ(limits.open(), 0u);
  EXPECT_EQ(limits.open_from("10.0.0.1"), 0u);
}

TEST(ConnectionLimits, ZeroMeansNoLimit) {
  connection_limits limits(0, 0);
  std::vector<connection_limits::slot> held(1000);
  for (auto& s : held) EXPECT_EQ(limits.admit("::1", s), verdict::admitted);
  EXPECT_EQ(limits.open(), 1000u);
}

TEST(ConnectionLimits, MovingASlotKeepsOneCount) {
  connection_limits limits(2, 2);
  connection_limits::slot a;
  ASSERT_EQ(limits.admit("x", a), verdict::admitted);
  connection_limits::slot b = std::move(a);
  connection_limits::slot c;
  ASSERT_EQ(limits.admit("x", c), verdict::admitted);
  c = std::move(b);  // c's own count is released, b's moves in
  EXPECT_EQ(limits.open(), 1u);
}

TEST(ConnectionLimits, SlotsMayOutliveTheLimits) {
  connection_limits::slot held;
  {
    connection_limits limits(1, 1);
    ASSERT_EQ(limits.admit("x", held), verdict::admitted);
  }
  held = {};  // no crash
}

TEST(ConnectionLimits, AnIpv6ClientIsCountedByItsSlash64) {
  connection_limits limits(0, 2);
  std::vector<connection_limits::slot> held(4);
  EXPECT_EQ(limits.admit("2001:db8:1:2::1", held[0]), verdict::admitted);
  EXPECT_EQ(limits.admit("2001:db8:1:2::ffff", held[1]), verdict::admitted);
  // A third address of the same /64 is the same client.
  EXPECT_EQ(limits.admit("2001:db8:1:2:dead:beef::9", held[2]), verdict::too_many_from_address);
  EXPECT_EQ(limits.admit("2001:db8:1:3::1", held[3]), verdict::admitted);
  EXPECT_EQ(limits.open_from("2001:db8:1:2::abc"), 2u);
}
