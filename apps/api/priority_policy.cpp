// priority_policy.cpp - reading the tier settings and choosing a job's priority.
#include "api/priority_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include <drover_app/ascii.hpp>

namespace drover::api {

namespace {

using app::trim_ows;

constexpr std::int64_t max_priority = 2097151;  // BullMQ 6.7.0: 2^21 - 1

// "a=1, b=2" -> {{"a","1"},{"b","2"}}
std::vector<std::pair<std::string, std::string>> pairs(const char* setting, std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i <= text.size()) {
    auto end = text.find(',', i);
    if (end == std::string_view::npos) end = text.size();
    auto entry = trim_ows(text.substr(i, end - i));
    i = end + 1;
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    auto key = eq == std::string_view::npos ? std::string_view() : trim_ows(entry.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string_view() : trim_ows(entry.substr(eq + 1));
    if (key.empty() || value.empty()) {
      throw std::invalid_argument(fmt::format("{}: '{}' is not name=value", setting, entry));
    }
    out.emplace_back(std::string(key), std::string(value));
  }
  return out;
}

}  // namespace

priority_policy::priority_policy(std::string_view tiers, std::string_view user_tiers, std::string_view default_tier) {
  for (auto& [tier, value] : pairs("PRIORITY_TIERS", tiers)) {
    std::int64_t p = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
    if (ec != std::errc() || end != value.data() + value.size() || p < 1 || p > max_priority) {
      throw std::invalid_argument(fmt::format(
          "PRIORITY_TIERS: the priority of '{}' must be a number from 1 to {}, got '{}'", tier, max_priority, value));
    }
    if (!tiers_.emplace(tier, p).second) {
      throw std::invalid_argument(fmt::format("PRIORITY_TIERS: the tier '{}' is named twice", tier));
    }
  }
  auto users = pairs("USER_TIERS", user_tiers);
  if (tiers_.empty() && !users.empty()) throw std::invalid_argument("USER_TIERS is set but PRIORITY_TIERS is not");
  for (auto& [user, tier] : users) {
    if (!tiers_.contains(tier)) {
      throw std::invalid_argument(
          fmt::format("USER_TIERS: user '{}' has tier '{}', which PRIORITY_TIERS does not name", user, tier));
    }
    if (!user_tiers_.emplace(user, tier).second) {
      throw std::invalid_argument(fmt::format("USER_TIERS: the user '{}' is named twice", user));
    }
  }
  default_tier_ = std::string(trim_ows(default_tier));
  if (!default_tier_.empty() && !tiers_.contains(default_tier_)) {
    throw std::invalid_argument(fmt::format("DEFAULT_TIER: '{}' is not one of PRIORITY_TIERS", default_tier_));
  }
  if (default_tier_.empty() && !tiers_.empty()) {
    default_tier_ = std::max_element(tiers_.begin(), tiers_.end(), [](const auto& a, const auto& b) {
                      return a.second < b.second;
                    })->first;
  }
}

std::optional<std::int64_t> priority_policy::priority_for(const std::string& user_id,
                                                          std::optional<std::int64_t> requested) const {
  if (tiers_.empty()) return requested;
  auto user = user_tiers_.find(user_id);
  const auto& tier = user == user_tiers_.end() ? default_tier_ : user->second;
  auto floor = tiers_.find(tier)->second;
  return requested ? std::max(floor, *requested) : floor;
}

}  // namespace drover::api
