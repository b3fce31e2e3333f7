// priority_policy.hpp - which BullMQ priority a chat job gets: the user's tier, then the request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace drover::api {

// BullMQ runs jobs without a priority before every prioritized one, and among prioritized
// jobs the lower number first (1 is the highest). So once tiers are configured every chat
// job gets one, the default tier's when the user has none, or a job without a tier would
// overtake all of them.
//
// Configuration (environment of `drover api`):
//   PRIORITY_TIERS="premium=1,standard=5,free=10"   tier -> priority
//   USER_TIERS="alice=premium,bob=standard"         user -> tier
//   DEFAULT_TIER="free"                             tier of everyone else (default: the
//                                                   tier with the largest number)
// A request's own `priority` can only make its job less urgent than its tier allows:
// the effective priority is the larger number of the two.
class priority_policy {
 public:
  priority_policy() = default;
  // Throws std::invalid_argument naming the setting and the entry it cannot read.
  priority_policy(std::string_view tiers, std::string_view user_tiers, std::string_view default_tier);

  // The priority for `user_id`'s job, with the request's own (already validated) value;
  // nothing means "no priority" (plain wait list).
  std::optional<std::int64_t> priority_for(const std::string& user_id, std::optional<std::int64_t> requested) const;
  bool has_tiers() const { return !tiers_.empty(); }

 private:
  std::map<std::string, std::int64_t, std::less<>> tiers_;
  std::map<std::string, std::string, std::less<>> user_tiers_;
  std::string default_tier_;
};

}  // namespace drover::api
