// client_address.cpp - the client behind X-Forwarded-For, believed from trusted proxies only.
#include "api/client_address.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <drover_app/ascii.hpp>

namespace drover::api {

namespace {

using app::trim_ows;

// Whether the IPv4 ranges together hold every IPv4 address (0.0.0.0/1 and 128.0.0.0/1
// passed where 0.0.0.0/0 was refused: a configuration review).
bool cover_every_ipv4_address(const std::vector<app::ip_range>& ranges) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // [first, last]
  for (const auto& r : ranges) {
    if (!r.base.is_v4()) continue;
    const std::uint64_t size = std::uint64_t{1} << (32 - r.prefix);
    const std::uint64_t first = r.base.to_v4().to_uint() & ~(size - 1) & 0xFFFFFFFFu;
    spans.emplace_back(first, first + size - 1);
  }
  std::sort(spans.begin(), spans.end());
  std::uint64_t next = 0;  // the first address not covered yet
  for (const auto& [first, last] : spans) {
    if (first > next) return false;
    next = std::max(next, last + 1);
  }
  return next > 0xFFFFFFFFu;
}

}  // namespace

client_address_policy::client_address_policy(std::string_view trusted) {
  std::size_t i = 0;
  while (i <= trusted.size()) {
    auto end = trusted.find_first_of(", ", i);
    if (end == std::string_view::npos) end = trusted.size();
    auto entry = trusted.substr(i, end - i);
    i = end + 1;
    if (entry.empty()) continue;
    app::ip_range range;
    try {
      range = app::ip_range::parse(entry);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("TRUSTED_PROXIES entry '" + std::string(entry) + "': " + e.what());
    }
    // Every address trusted, the whole X-Forwarded-For is the client's to write: each
    // request could name a new address and pass every per-address limit.
    if (range.prefix == 0) {
      throw std::invalid_argument("TRUSTED_PROXIES entry '" + std::string(entry) +
                                  "' trusts every address, so any client could name its own address in "
                                  "X-Forwarded-For; list your proxies' addresses or ranges instead");
    }
    trusted_.push_back(range);
  }
  if (cover_every_ipv4_address(trusted_)) {
    throw std::invalid_argument(
        "TRUSTED_PROXIES trusts every IPv4 address together, so any client could name its own address in "
        "X-Forwarded-For; list your proxies' addresses or ranges instead");
  }
}

namespace {

namespace ip = boost::asio::ip;

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// An X-Forwarded-For entry as an address: "198.51.100.1", "2001:db8::5", and with a port
// as some load balancers write them, "198.51.100.1:8080" and "[2001:db8::5]:443";
// std::nullopt for anything else ("unknown", a name, garbage).
std::optional<ip::address> entry_address(std::string_view entry) {
  if (auto a = parse_address(entry)) return a;
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = entry.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    return parse_address(entry.substr(1, close - 1));
  }
  const auto colon = entry.find(':');
  if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
  return parse_address(entry.substr(0, colon));
}

}  // namespace

bool client_address_policy::trusted(const boost::asio::ip::address& a) const {
  for (const auto& r : trusted_) {
    if (r.contains(a)) return true;
  }
  return false;
}

std::string client_address_policy::client_of(std::string_view peer, std::string_view forwarded_for) const {
  if (trusted_.empty() || forwarded_for.empty()) return std::string(peer);
  const auto peer_address = parse_address(peer);
  if (!peer_address || !trusted(*peer_address)) return std::string(peer);
  // The nearest hop known so far: the peer, then each trusted proxy named.
  std::string nearest(peer);
  std::size_t end = forwarded_for.size();
  while (true) {
    auto comma = forwarded_for.rfind(',', end == 0 ? 0 : end - 1);
    const bool first = comma == std::string_view::npos || end == 0;
    auto entry = trim_ows(first ? forwarded_for.substr(0, end) : forwarded_for.substr(comma + 1, end - comma - 1));
    if (!entry.empty()) {
      // Not an address: the proxy that wrote it could not say who its client was, so
      // the client counts as that proxy, not as whatever text it was handed.
      auto a = entry_address(entry);
      if (!a) return nearest;
      nearest = a->to_string();
      if (!trusted(*a)) return nearest;
    }
    if (first) break;
    end = comma;
  }
  return nearest;  // all trusted: the left-most
}

}  // namespace drover::api
