// upload_budget.cpp - reservations against the server's in-flight upload budget and its per-owner shares.
#include "httpd/upload_budget.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace drover::httpd {

struct upload_budget::ledger {
  std::size_t used = 0;
  std::unordered_map<std::string, std::size_t> by_owner;  // owners holding bytes now
};

namespace {

// Whether `bytes` more fit under `limit` (0: no limit) when `used` are held, without overflow.
bool fits(std::size_t used, std::size_t bytes, std::size_t limit) {
  return limit == 0 || (used <= limit && bytes <= limit - used);
}

}  // namespace

upload_budget::reservation::reservation(std::shared_ptr<ledger> book, std::size_t bytes,
                                        std::vector<std::string> owners)
    : book_(std::move(book)), bytes_(bytes), owners_(std::move(owners)) {}

upload_budget::reservation::reservation(reservation&& other) noexcept
    : book_(std::move(other.book_)), bytes_(std::exchange(other.bytes_, 0)), owners_(std::move(other.owners_)) {}

upload_budget::reservation& upload_budget::reservation::operator=(reservation&& other) noexcept {
  if (this != &other) {
    release();
    book_ = std::move(other.book_);
    bytes_ = std::exchange(other.bytes_, 0);
    owners_ = std::move(other.owners_);
  }
  return *this;
}

upload_budget::reservation::~reservation() { release(); }

void upload_budget::reservation::release() {
  if (book_) {
    book_->used -= bytes_;
    for (const auto& owner : owners_) {
      auto it = book_->by_owner.find(owner);
      if (it == book_->by_owner.end()) continue;
      it->second -= bytes_;
      if (it->second == 0) book_->by_owner.erase(it);
    }
  }
  book_.reset();
  owners_.clear();
  bytes_ = 0;
}

upload_budget::upload_budget(std::size_t total, std::size_t per_owner)
    : total_(total), per_owner_(per_owner), book_(std::make_shared<ledger>()) {}

upload_budget::verdict upload_budget::try_reserve(std::size_t bytes, const std::vector<std::string>& owners,
                                                  reservation& held) {
  if (bytes == 0) return verdict::reserved;
  if (!fits(book_->used, bytes, total_)) return verdict::budget_full;
  for (const auto& owner : owners) {
    if (!fits(used_by(owner), bytes, per_owner_)) return verdict::owner_full;
  }
  book_->used += bytes;
  std::vector<std::string> distinct;
  for (const auto& owner : owners) {
    if (std::find(distinct.begin(), distinct.end(), owner) != distinct.end()) continue;
    book_->by_owner[owner] += bytes;
    distinct.push_back(owner);
  }
  held = reservation(book_, bytes, std::move(distinct));
  return verdict::reserved;
}

std::size_t upload_budget::used() const { return book_->used; }

std::size_t upload_budget::used_by(const std::string& owner) const {
  auto it = book_->by_owner.find(owner);
  return it == book_->by_owner.end() ? 0 : it->second;
}

}  // namespace drover::httpd
