// The SSRF guard: which addresses a webhook may reach, and how the allowlist opens it.
#include "workers/address_policy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace drover::workers {
namespace {

namespace ip = boost::asio::ip;

std::optional<std::string> range_of(const char* text) { return special_purpose_range(ip::make_address(text)); }

TEST(AddressPolicy, RefusesEverySpecialPurposeIPv4Range) {
  for (const char* a :
       {"0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.0.1", "172.16.0.1",
        "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.51.100.7", "203.0.113.9",
        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(range_of(a).has_value()) << a;
  }
}

TEST(AddressPolicy, NamesLoopbackPrivateAndCloudMetadata) {
  EXPECT_EQ(range_of("127.0.0.1"), "loopback");
  EXPECT_EQ(range_of("10.0.0.5"), "private");
  EXPECT_EQ(range_of("169.254.169.254"), "link-local (cloud metadata)");
  EXPECT_EQ(range_of("100.100.100.200"), "shared address space (cloud metadata)");
  EXPECT_EQ(range_of("fd00:ec2::254"), "unique local (cloud metadata)");
  EXPECT_EQ(range_of("::1"), "loopback");
  EXPECT_EQ(range_of("fe80::1"), "link-local");
  EXPECT_EQ(range_of("ff02::1"), "multicast");
  EXPECT_EQ(range_of("fc00::1"), "unique local");
  EXPECT_EQ(range_of("::"), "unspecified");
}

TEST(AddressPolicy, AcceptsPublicUnicast) {
  for (const char* a : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700::1111",
                        "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"}) {
    EXPECT_FALSE(range_of(a).has_value()) << a << ": " << range_of(a).value_or("");
  }
}

TEST(AddressPolicy, JudgesIPv4EmbeddedInIPv6AsTheIPv4Address) {
  EXPECT_EQ(range_of("::ffff:127.0.0.1"), "IPv4-mapped loopback");
  EXPECT_EQ(range_of("::ffff:169.254.169.254"), "IPv4-mapped link-local (cloud metadata)");
  EXPECT_EQ(range_of("64:ff9b::a00:1"), "NAT64 private");      // 10.0.0.1
  EXPECT_EQ(range_of("::ffff:0:7f00:1"), "IPv4-translated");   // SIIT: 127.0.0.1
  EXPECT_EQ(range_of("::ffff:0:808:808"), "IPv4-translated");  // 8.8.8.8 too: nothing public uses the form
  EXPECT_EQ(range_of("2002:7f00:1::"), "6to4 loopback");       // 127.0.0.1
  EXPECT_EQ(range_of("::127.0.0.1"), "IPv4-compatible (deprecated)");
}

TEST(AddressPolicy, RefusesTunnelsAndDocumentationInIPv6) {
  EXPECT_TRUE(range_of("2001:0:4136:e378::1").has_value());  // Teredo
  EXPECT_TRUE(range_of("2001:db8::1").has_value());
  EXPECT_TRUE(range_of("fec0::1").has_value());
  EXPECT_TRUE(range_of("64:ff9b:1::1").has_value());
}

TEST(AddressPolicy, HostEntriesAllowByNameAndPort) {
  address_policy p("127.0.0.1:5000, localhost:5000 hooks.internal [::1]:8080 10.0.0.7");
  EXPECT_TRUE(p.host_allowed("127.0.0.1", "5000"));
  EXPECT_FALSE(p.host_allowed("127.0.0.1", "6379"));
  EXPECT_TRUE(p.host_allowed("LOCALHOST", "5000"));
  EXPECT_TRUE(p.host_allowed("hooks.internal", "443"));
  EXPECT_TRUE(p.host_allowed("::1", "8080"));
  EXPECT_TRUE(p.host_allowed("[::1]", "8080"));
  EXPECT_FALSE(p.host_allowed("::1", "8081"));
  EXPECT_TRUE(p.host_allowed("10.0.0.7", "80"));
  EXPECT_FALSE(p.host_allowed("evil.example", "80"));
  // A host entry never opens an address range: a name is trusted, not what it resolves to.
  EXPECT_TRUE(p.refusal(ip::make_address("127.0.0.1")).has_value());
}

TEST(AddressPolicy, RangeEntriesAllowResolvedAddresses) {
  address_policy p("10.20.0.0/16,fd12::/16");
  EXPECT_FALSE(p.refusal(ip::make_address("10.20.3.4")).has_value());
  EXPECT_TRUE(p.refusal(ip::make_address("10.21.0.1")).has_value());
  EXPECT_FALSE(p.refusal(ip::make_address("fd12:1::5")).has_value());
  EXPECT_TRUE(p.refusal(ip::make_address("fd13::5")).has_value());
  EXPECT_EQ(p.refusal(ip::make_address("169.254.169.254")), "link-local (cloud metadata)");
}

TEST(AddressPolicy, NoAllowlistRefusesAllSpecialAddresses) {
  address_policy p;
  EXPECT_TRUE(p.refusal(ip::make_address("127.0.0.1")).has_value());
  EXPECT_FALSE(p.refusal(ip::make_address("93.184.215.14")).has_value());
  EXPECT_FALSE(p.host_allowed("localhost", "80"));
}

TEST(AddressPolicy, UnreadableEntriesAreErrorsNamingThem) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/x", "nothost/8", "host:0", "host:70000", "[::1", "[::1]x"}) {
    try {
      address_policy p(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(port_of, is_the_urls_own_port_or_its_schemes) {
  EXPECT_EQ(port_of(boost::urls::url_view("https://hooks.example/x")), "443");
  EXPECT_EQ(port_of(boost::urls::url_view("http://hooks.example/x")), "80");
  EXPECT_EQ(port_of(boost::urls::url_view("https://[::1]:8443/x")), "8443");
}

}  // namespace
}  // namespace drover::workers
