// address_key_test.cpp - IPv6 clients count by their /64, IPv4 ones by their address.
#include "drover_app/address_key.hpp"

#include <gtest/gtest.h>

namespace {

using drover::app::address_key;

TEST(AddressKey, AnIpv4AddressIsItsOwnKey) {
  EXPECT_EQ(address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(address_key("127.0.0.1"), "127.0.0.1");
}

TEST(AddressKey, AnIpv6ClientCountsByItsSlash64) {
  EXPECT_EQ(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
  EXPECT_EQ(address_key("::1"), "::/64");
}

TEST(AddressKey, AnIpv4MappedAddressCountsAsItsIpv4) { EXPECT_EQ(address_key("::ffff:192.0.2.7"), "192.0.2.7"); }

TEST(AddressKey, TextThatIsNotAnAddressCountsAsWritten) {
  EXPECT_EQ(address_key("unknown"), "unknown");
  EXPECT_EQ(address_key(""), "");
}

}  // namespace
