// ip_range.hpp - an IP address range in CIDR notation: "10.0.0.0/8", "fd00::/8", or one
// address. Used by the webhook allowlist and the API's trusted proxies.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string_view>

namespace drover::app {

struct ip_range {
  boost::asio::ip::address base;
  unsigned prefix = 0;  // bits that must match; a lone address has all of them

  // "address/prefix-length" or an address alone. Throws std::invalid_argument saying
  // what is wrong (not an address, a prefix length out of range).
  static ip_range parse(std::string_view text);

  // Whether `a` is in the range; an IPv4 address is never in an IPv6 range or back.
  bool contains(const boost::asio::ip::address& a) const;
};

// Whether the first `prefix` bits of two addresses agree.
bool same_prefix_v4(std::uint32_t addr, std::uint32_t base, unsigned prefix);
bool same_prefix_v6(const boost::asio::ip::address_v6::bytes_type& addr,
                    const boost::asio::ip::address_v6::bytes_type& base, unsigned prefix);

}  // namespace drover::app
