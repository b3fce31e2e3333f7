// ip_range.cpp - parsing CIDR ranges and matching addresses against them.
#include "drover_app/ip_range.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace drover::app {

namespace ip = boost::asio::ip;

bool same_prefix_v4(std::uint32_t addr, std::uint32_t base, unsigned prefix) {
  if (prefix == 0) return true;
  const std::uint32_t mask = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
  return (addr & mask) == (base & mask);
}

bool same_prefix_v6(const ip::address_v6::bytes_type& addr, const ip::address_v6::bytes_type& base, unsigned prefix) {
  const unsigned full = prefix / 8;
  for (unsigned i = 0; i < full && i < 16; ++i) {
    if (addr[i] != base[i]) return false;
  }
  if (full < 16 && prefix % 8 != 0) {
    const auto mask = static_cast<unsigned char>(0xff << (8 - prefix % 8));
    if ((addr[full] & mask) != (base[full] & mask)) return false;
  }
  return true;
}

ip_range ip_range::parse(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  auto base = ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) throw std::invalid_argument("not an IP address");
  const unsigned width = base.is_v4() ? 32u : 128u;
  if (slash == std::string_view::npos) return {base, width};
  unsigned prefix = 0;
  const auto len = text.substr(slash + 1);
  auto [p, perr] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (perr != std::errc() || p != len.data() + len.size() || len.empty() || prefix > width) {
    throw std::invalid_argument("the prefix length is not a number in range");
  }
  return {base, prefix};
}

bool ip_range::contains(const ip::address& a) const {
  if (base.is_v4() && a.is_v4()) return same_prefix_v4(a.to_v4().to_uint(), base.to_v4().to_uint(), prefix);
  if (base.is_v6() && a.is_v6()) return same_prefix_v6(a.to_v6().to_bytes(), base.to_v6().to_bytes(), prefix);
  return false;
}

}  // namespace drover::app
