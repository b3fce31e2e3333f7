// upload_budget.cpp - reservations against the server's in-flight upload budget and its per-owner shares.
#include "httpd/upload_budget.hpp"

namespace drover::httpd {

namespace {

// Whether `bytes` more fit under `limit` (0: no limit) when `used` are held, without overflow.
bool fits(std::size_t used, std::size_t bytes, std::size_t limit) {
  return limit == 0 || (used <= limit && bytes <= limit - used);
}

}  // namespace

upload_budget::upload_budget(std::size_t total, std::size_t per_owner) : total_(total), per_owner_(per_owner) {}

upload_budget::verdict upload_budget::try_reserve(std::size_t bytes, const std::vector<std::string>& owners,
                                                  reservation& held) {
  if (bytes == 0) return verdict::reserved;
  if (!fits(book_.total(), bytes, total_)) return verdict::budget_full;
  for (const auto& owner : owners) {
    if (!fits(book_.of(owner), bytes, per_owner_)) return verdict::owner_full;
  }
  held = book_.hold(bytes, owners);
  return verdict::reserved;
}

std::size_t upload_budget::used() const { return book_.total(); }

std::size_t upload_budget::used_by(const std::string& owner) const { return book_.of(owner); }

}  // namespace drover::httpd
