// client_address.cpp - the client behind X-Forwarded-For, believed from trusted proxies only.
#include "api/client_address.hpp"

#include <stdexcept>
#include <string>

#include <drover_app/ascii.hpp>

namespace drover::api {

namespace {

using app::trim_ows;

}  // namespace

client_address_policy::client_address_policy(std::string_view trusted) {
  std::size_t i = 0;
  while (i <= trusted.size()) {
    auto end = trusted.find_first_of(", ", i);
    if (end == std::string_view::npos) end = trusted.size();
    auto entry = trusted.substr(i, end - i);
    i = end + 1;
    if (entry.empty()) continue;
    try {
      trusted_.push_back(app::ip_range::parse(entry));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("TRUSTED_PROXIES entry '" + std::string(entry) + "': " + e.what());
    }
  }
}

bool client_address_policy::trusted(std::string_view address) const {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  for (const auto& r : trusted_) {
    if (r.contains(a)) return true;
  }
  return false;
}

std::string client_address_policy::client_of(std::string_view peer, std::string_view forwarded_for) const {
  if (trusted_.empty() || forwarded_for.empty() || !trusted(peer)) return std::string(peer);
  std::string_view leftmost;
  std::size_t end = forwarded_for.size();
  while (true) {
    auto comma = forwarded_for.rfind(',', end == 0 ? 0 : end - 1);
    const bool first = comma == std::string_view::npos || end == 0;
    auto entry = trim_ows(first ? forwarded_for.substr(0, end) : forwarded_for.substr(comma + 1, end - comma - 1));
    if (!entry.empty()) {
      if (!trusted(entry)) return std::string(entry);
      leftmost = entry;
    }
    if (first) break;
    end = comma;
  }
  return leftmost.empty() ? std::string(peer) : std::string(leftmost);
}

}  // namespace drover::api
