// address_key.hpp - the key a per-address limit counts a client under.
#pragma once

#include <string>
#include <string_view>

namespace drover::app {

// One IPv6 subscriber is given a whole /64 at least (RFC 6177; often a /56 or /48) and
// may use any address in it, so counting IPv6 clients address by address would let
// one of them multiply every per-address limit (connections, Socket.IO sessions, upload
// shares, rate limits, the login throttle) by 2^64. An IPv6 client counts by its /64,
// written "2001:db8:1:2::/64"; an IPv4 address, IPv4-mapped IPv6 included, by itself
// ("192.0.2.7"). Text that is not an address (a name a trusted proxy wrote) counts as
// it is written.
std::string address_key(std::string_view address);

}  // namespace drover::app
