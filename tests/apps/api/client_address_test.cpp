// client_address_test.cpp - the client's address behind trusted proxies, and only them.
#include "api/client_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>

using drover::api::client_address_policy;

TEST(ClientAddress, WithoutTrustedProxiesThePeerIsTheClient) {
  client_address_policy none;
  EXPECT_EQ(none.client_of("203.0.113.7", "198.51.100.1"), "203.0.113.7");
}

TEST(ClientAddress, AnUntrustedPeerCannotClaimAnotherAddress) {
  client_address_policy p("10.0.0.0/8");
  EXPECT_EQ(p.client_of("203.0.113.7", "198.51.100.1"), "203.0.113.7");
}

TEST(ClientAddress, ATrustedProxyNamesTheClient) {
  client_address_policy p("127.0.0.1, 10.0.0.0/8 fd00::/8");
  EXPECT_EQ(p.client_of("127.0.0.1", "198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(p.client_of("::ffff:127.0.0.1", "198.51.100.1"), "198.51.100.1");
  // The right-most untrusted entry: what the client put left of it is not believed.
  EXPECT_EQ(p.client_of("10.1.1.1", "6.6.6.6, 198.51.100.1, 10.2.2.2"), "198.51.100.1");
  EXPECT_EQ(p.client_of("fd00::1", "2001:db8::5"), "2001:db8::5");
  // All trusted: the left-most.
  EXPECT_EQ(p.client_of("10.1.1.1", "10.9.9.9, 10.2.2.2"), "10.9.9.9");
  // No header: the proxy itself.
  EXPECT_EQ(p.client_of("10.1.1.1", ""), "10.1.1.1");
  EXPECT_EQ(p.client_of("10.1.1.1", " , "), "10.1.1.1");
}

TEST(ClientAddress, EntriesWithAPortAreTheirAddress) {
  client_address_policy p("127.0.0.1");
  EXPECT_EQ(p.client_of("127.0.0.1", "198.51.100.1:8080"), "198.51.100.1");
  EXPECT_EQ(p.client_of("127.0.0.1", "[2001:db8::5]:443"), "2001:db8::5");
  EXPECT_EQ(p.client_of("127.0.0.1", "[2001:db8::5]"), "2001:db8::5");
  EXPECT_EQ(p.client_of("127.0.0.1", "::ffff:198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(p.client_of("127.0.0.1", "2001:DB8:0::5"), "2001:db8::5") << "one spelling per address";
}

TEST(ClientAddress, AnEntryThatIsNoAddressCountsAsTheProxyThatWroteIt) {
  client_address_policy p("127.0.0.1, 10.0.0.0/8");
  EXPECT_EQ(p.client_of("127.0.0.1", "garbage"), "127.0.0.1");
  EXPECT_EQ(p.client_of("127.0.0.1", "unknown, 10.2.2.2"), "10.2.2.2");
  EXPECT_EQ(p.client_of("127.0.0.1", "198.51.100.1, unknown"), "127.0.0.1") << "nothing left of it is believed";
  EXPECT_EQ(p.client_of("127.0.0.1", "1.2.3.4:80:90"), "127.0.0.1");
  EXPECT_EQ(p.client_of("127.0.0.1", "[2001:db8::5]x"), "127.0.0.1");
}

TEST(ClientAddress, RefusesEntriesItCannotRead) {
  EXPECT_THROW(client_address_policy("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(client_address_policy("proxy.example"), std::invalid_argument);
  EXPECT_THROW(client_address_policy("10.0.0.0/"), std::invalid_argument);
}

// Trusting every address lets each request name its own (an operator review): refused,
// in one range or in pieces (a configuration review forged X-Forwarded-For through them).
TEST(ClientAddress, RefusesARangeOfEveryAddress) {
  const std::pair<const char*, const char*> cases[] = {
      {"0.0.0.0/0", "trusts every address"},
      {"::/0", "trusts every address"},
      {"10.0.0.1, 0.0.0.0/0", "trusts every address"},
      {"0.0.0.0/1,128.0.0.0/1", "trusts every IPv4 address together"},
      {"128.0.0.0/1 0.0.0.0/2 64.0.0.0/2", "trusts every IPv4 address together"},
      {"0.0.0.0/1,128.0.0.0/2,192.0.0.0/2", "trusts every IPv4 address together"},
  };
  for (const auto& [all, said] : cases) {
    try {
      client_address_policy policy(all);
      ADD_FAILURE() << all << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(said), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(client_address_policy("0.0.0.0/1"));
  EXPECT_NO_THROW(client_address_policy("0.0.0.0/1,128.0.0.0/2,10.0.0.0/8"));
}
