// connection_limits.cpp - connection counting for the HTTP server's caps.
#include "httpd/connection_limits.hpp"

#include <drover_app/address_key.hpp>

namespace drover::httpd {

struct connection_limits::slot::counts {
  std::size_t total = 0;
  // Only addresses with open connections, so the map is as large as the open set.
  std::unordered_map<std::string, std::size_t> per_address;
};

connection_limits::slot::slot(std::shared_ptr<counts> c, std::string address)
    : counts_(std::move(c)), address_(std::move(address)) {}

connection_limits::slot& connection_limits::slot::operator=(slot&& other) noexcept {
  if (this != &other) {
    release();
    counts_ = std::move(other.counts_);
    address_ = std::move(other.address_);
  }
  return *this;
}

connection_limits::slot::~slot() { release(); }

void connection_limits::slot::release() {
  if (!counts_) return;
  --counts_->total;
  auto it = counts_->per_address.find(address_);
  if (it != counts_->per_address.end() && --it->second == 0) counts_->per_address.erase(it);
  counts_.reset();
}

connection_limits::connection_limits(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address), counts_(std::make_shared<slot::counts>()) {}

connection_limits::verdict connection_limits::admit(const std::string& peer, slot& held) {
  const auto address = app::address_key(peer);
  if (max_total_ != 0 && counts_->total >= max_total_) return verdict::too_many_total;
  if (max_per_address_ != 0 && open_from(address) >= max_per_address_) return verdict::too_many_from_address;
  ++counts_->total;
  ++counts_->per_address[address];
  held = slot(counts_, address);
  return verdict::admitted;
}

std::size_t connection_limits::open() const { return counts_->total; }

std::size_t connection_limits::open_from(const std::string& peer) const {
  auto it = counts_->per_address.find(app::address_key(peer));
  return it == counts_->per_address.end() ? 0 : it->second;
}

}  // namespace drover::httpd
