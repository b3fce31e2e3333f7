// held_amounts.cpp - the table behind held_amounts and its holdings' release.
#include "drover_app/held_amounts.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace drover::app {

struct held_amounts::table {
  std::size_t total = 0;
  std::unordered_map<std::string, std::size_t> by_key;  // only keys holding something
};

held_amounts::holding::holding(std::shared_ptr<table> t, std::size_t amount, std::vector<std::string> keys)
    : table_(std::move(t)), amount_(amount), keys_(std::move(keys)) {}

held_amounts::holding::holding(holding&& other) noexcept
    : table_(std::move(other.table_)), amount_(std::exchange(other.amount_, 0)), keys_(std::move(other.keys_)) {}

held_amounts::holding& held_amounts::holding::operator=(holding&& other) noexcept {
  if (this != &other) {
    release();
    table_ = std::move(other.table_);
    amount_ = std::exchange(other.amount_, 0);
    keys_ = std::move(other.keys_);
  }
  return *this;
}

held_amounts::holding::~holding() { release(); }

void held_amounts::holding::release() {
  if (table_) {
    table_->total -= amount_;
    for (const auto& key : keys_) {
      auto it = table_->by_key.find(key);
      if (it == table_->by_key.end()) continue;
      it->second -= amount_;
      if (it->second == 0) table_->by_key.erase(it);
    }
  }
  table_.reset();
  keys_.clear();
  amount_ = 0;
}

held_amounts::held_amounts() : table_(std::make_shared<table>()) {}

held_amounts::holding held_amounts::hold(std::size_t amount, std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  table_->total += amount;
  if (amount > 0) {
    for (const auto& key : keys) table_->by_key[key] += amount;
  }
  return holding(table_, amount, std::move(keys));
}

std::size_t held_amounts::total() const { return table_->total; }

std::size_t held_amounts::of(const std::string& key) const {
  auto it = table_->by_key.find(key);
  return it == table_->by_key.end() ? 0 : it->second;
}

}  // namespace drover::app
