// connection_limits.cpp - connection counting for the HTTP server's caps.
#include "httpd/connection_limits.hpp"

#include <drover_app/address_key.hpp>

namespace drover::httpd {

connection_limits::connection_limits(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

connection_limits::verdict connection_limits::admit(const std::string& peer, slot& held) {
  auto address = app::address_key(peer);
  if (max_total_ != 0 && counts_.total() >= max_total_) return verdict::too_many_total;
  if (max_per_address_ != 0 && counts_.of(address) >= max_per_address_) return verdict::too_many_from_address;
  held = counts_.hold(1, {std::move(address)});
  return verdict::admitted;
}

std::size_t connection_limits::open() const { return counts_.total(); }

std::size_t connection_limits::open_from(const std::string& peer) const { return counts_.of(app::address_key(peer)); }

}  // namespace drover::httpd
