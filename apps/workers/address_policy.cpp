// address_policy.cpp - special-purpose address ranges (RFC 6890 and friends) and the allowlist.
#include "workers/address_policy.hpp"

#include <drover_app/ip_range.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace drover::workers {

namespace ip = boost::asio::ip;

namespace {

struct v4_range {
  std::uint32_t base;
  unsigned prefix;
  const char* what;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Checked in order, so the more specific names come first.
constexpr std::array<v4_range, 18> kV4Ranges{{
    {v4(169, 254, 169, 254), 32, "link-local (cloud metadata)"},
    {v4(169, 254, 170, 2), 32, "link-local (cloud metadata)"},
    {v4(100, 100, 100, 200), 32, "shared address space (cloud metadata)"},
    {v4(0, 0, 0, 0), 8, "this network"},
    {v4(10, 0, 0, 0), 8, "private"},
    {v4(100, 64, 0, 0), 10, "shared address space (carrier-grade NAT)"},
    {v4(127, 0, 0, 0), 8, "loopback"},
    {v4(169, 254, 0, 0), 16, "link-local"},
    {v4(172, 16, 0, 0), 12, "private"},
    {v4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    {v4(192, 0, 2, 0), 24, "documentation"},
    {v4(192, 88, 99, 0), 24, "6to4 relay anycast"},
    {v4(192, 168, 0, 0), 16, "private"},
    {v4(198, 18, 0, 0), 15, "benchmarking"},
    {v4(198, 51, 100, 0), 24, "documentation"},
    {v4(203, 0, 113, 0), 24, "documentation"},
    {v4(224, 0, 0, 0), 4, "multicast"},
    {v4(240, 0, 0, 0), 4, "reserved"},  // includes 255.255.255.255, broadcast
}};

using app::same_prefix_v4;
using app::same_prefix_v6;

ip::address_v6::bytes_type v6_bytes(const char* text) { return ip::make_address_v6(text).to_bytes(); }

std::uint32_t v4_at(const ip::address_v6::bytes_type& b, unsigned offset) {
  return (std::uint32_t(b[offset]) << 24) | (std::uint32_t(b[offset + 1]) << 16) | (std::uint32_t(b[offset + 2]) << 8) |
         std::uint32_t(b[offset + 3]);
}

std::optional<std::string> v4_range_of(std::uint32_t addr) {
  for (const auto& r : kV4Ranges) {
    if (same_prefix_v4(addr, r.base, r.prefix)) return std::string(r.what);
  }
  return std::nullopt;
}

std::optional<std::string> v6_range_of(const ip::address_v6& a) {
  const auto b = a.to_bytes();
  // Forms that carry an IPv4 address: judge the IPv4 address, whatever the wrapper.
  struct embedding {
    const char* base;
    unsigned prefix;
    unsigned offset;
    const char* what;
  };
  static const embedding kEmbedded[] = {
      {"::ffff:0:0", 96, 12, "IPv4-mapped"},
      {"64:ff9b::", 96, 12, "NAT64"},
      {"2002::", 16, 2, "6to4"},
  };
  for (const auto& e : kEmbedded) {
    if (!same_prefix_v6(b, v6_bytes(e.base), e.prefix)) continue;
    if (auto r = v4_range_of(v4_at(b, e.offset))) return fmt::format("{} {}", e.what, *r);
    return std::nullopt;
  }
  if (a.is_unspecified()) return std::string("unspecified");
  if (a.is_loopback()) return std::string("loopback");
  struct v6_range {
    const char* base;
    unsigned prefix;
    const char* what;
  };
  static const v6_range kV6Ranges[] = {
      {"fd00:ec2::254", 128, "unique local (cloud metadata)"},
      {"::", 96, "IPv4-compatible (deprecated)"},
      // SIIT's IPv4-translated form (::ffff:0:a.b.c.d): a stateless translator on the way
      // would deliver it to the IPv4 address, loopback included. Nothing public uses it.
      {"::ffff:0:0:0", 96, "IPv4-translated"},
      {"64:ff9b:1::", 48, "local-use NAT64"},
      {"100::", 64, "discard-only"},
      {"2001::", 32, "Teredo"},
      {"2001:db8::", 32, "documentation"},
      {"2001:10::", 28, "ORCHID"},
      {"fc00::", 7, "unique local"},
      {"fe80::", 10, "link-local"},
      {"fec0::", 10, "site-local (deprecated)"},
      {"ff00::", 8, "multicast"},
  };
  for (const auto& r : kV6Ranges) {
    if (same_prefix_v6(b, v6_bytes(r.base), r.prefix)) return std::string(r.what);
  }
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool valid_port(std::string_view p) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  return ec == std::errc() && end == p.data() + p.size() && v >= 1 && v <= 65535;
}

}  // namespace

std::optional<std::string> special_purpose_range(const ip::address& a) {
  if (a.is_v4()) return v4_range_of(a.to_v4().to_uint());
  return v6_range_of(a.to_v6());
}

address_policy::address_policy(std::string_view allowlist) {
  std::size_t i = 0;
  while (i < allowlist.size()) {
    auto end = allowlist.find_first_of(", \t\n", i);
    if (end == std::string_view::npos) end = allowlist.size();
    auto entry = allowlist.substr(i, end - i);
    i = end + 1;
    if (entry.empty()) continue;
    auto bad = [&](const char* why) {
      return std::invalid_argument(fmt::format("allowlist entry '{}': {}", entry, why));
    };
    if (entry.find('/') != std::string_view::npos) {
      try {
        ranges_.push_back(app::ip_range::parse(entry));
      } catch (const std::invalid_argument& e) {
        throw bad(e.what());
      }
      continue;
    }
    host_entry h;
    if (entry.front() == '[') {
      auto close = entry.find(']');
      if (close == std::string_view::npos) throw bad("unclosed '['");
      h.host = lower(entry.substr(1, close - 1));
      auto rest = entry.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':' || !valid_port(rest.substr(1))) throw bad("a port must follow ']:'");
        h.port = std::string(rest.substr(1));
      }
    } else if (std::count(entry.begin(), entry.end(), ':') > 1) {
      h.host = lower(entry);  // a bare IPv6 literal
    } else if (auto colon = entry.find(':'); colon != std::string_view::npos) {
      if (!valid_port(entry.substr(colon + 1))) throw bad("the port is not a number from 1 to 65535");
      h.host = lower(entry.substr(0, colon));
      h.port = std::string(entry.substr(colon + 1));
    } else {
      h.host = lower(entry);
    }
    if (h.host.empty()) throw bad("no host");
    hosts_.push_back(std::move(h));
  }
}

bool address_policy::host_allowed(std::string_view host, std::string_view port) const {
  auto h = lower(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return std::any_of(hosts_.begin(), hosts_.end(),
                     [&](const host_entry& e) { return e.host == h && (e.port.empty() || e.port == port); });
}

std::optional<std::string> address_policy::refusal(const ip::address& a) const {
  auto range = special_purpose_range(a);
  if (!range) return std::nullopt;
  for (const auto& r : ranges_) {
    if (r.contains(a)) return std::nullopt;
  }
  return range;
}

std::string port_of(const boost::urls::url_view& u) {
  if (u.has_port()) return std::string(u.port());
  return u.scheme_id() == boost::urls::scheme::https ? "443" : "80";  // a scheme ignores case
}

}  // namespace drover::workers
