// ip_range_test.cpp - CIDR ranges: parsing and membership, per address family.
#include <drover_app/ip_range.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

using drover::app::ip_range;
namespace ip = boost::asio::ip;

TEST(IpRange, MatchesItsPrefix) {
  auto r = ip_range::parse("10.0.0.0/8");
  EXPECT_TRUE(r.contains(ip::make_address("10.255.1.2")));
  EXPECT_FALSE(r.contains(ip::make_address("11.0.0.1")));
  EXPECT_FALSE(r.contains(ip::make_address("::ffff:10.0.0.1")));  // another family
  auto odd = ip_range::parse("192.168.4.0/22");
  EXPECT_TRUE(odd.contains(ip::make_address("192.168.7.255")));
  EXPECT_FALSE(odd.contains(ip::make_address("192.168.8.0")));
  auto v6 = ip_range::parse("fd00::/9");
  EXPECT_TRUE(v6.contains(ip::make_address("fd7f::1")));
  EXPECT_FALSE(v6.contains(ip::make_address("fd80::1")));
  EXPECT_TRUE(ip_range::parse("0.0.0.0/0").contains(ip::make_address("8.8.8.8")));
}

TEST(IpRange, ALoneAddressIsItself) {
  auto r = ip_range::parse("127.0.0.1");
  EXPECT_EQ(r.prefix, 32u);
  EXPECT_TRUE(r.contains(ip::make_address("127.0.0.1")));
  EXPECT_FALSE(r.contains(ip::make_address("127.0.0.2")));
  EXPECT_EQ(ip_range::parse("::1").prefix, 128u);
}

TEST(IpRange, RefusesWhatIsNotARange) {
  for (const char* bad : {"", "host", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8"}) {
    EXPECT_THROW(ip_range::parse(bad), std::invalid_argument) << bad;
  }
}
