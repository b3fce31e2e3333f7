// webhook_secrets.hpp - the three secrets webhooks are signed from, and the ones a
// rotation retires (WEBHOOK_SECRET_PREVIOUS and its two siblings), as both apps read them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover_app/distinct_secrets.hpp"

namespace drover::app {

// What a delivery is signed from (the Workers app's webhook_delivery_processor says which
// goes where).
struct webhook_secrets {
  std::string api;        // WEBHOOK_SECRET: the API's own receiver trusts its key
  std::string users;      // USER_WEBHOOK_SECRET, or one made from `api`: each user's key is made from both
  std::string operators;  // OPERATOR_WEBHOOK_SECRET, or one made from `api`: alerts, deliveries queued by hand

  // The key user `user_id`'s receiver verifies with (user_webhook_key).
  std::string user_key(std::string_view user_id) const;

  bool operator==(const webhook_secrets&) const = default;
};

// USER_WEBHOOK_SECRET and OPERATOR_WEBHOOK_SECRET beside `api` (WEBHOOK_SECRET, already
// checked), each checked as own_webhook_secret_from_env does.
// Throws drover::error(invalid_argument) naming the variable.
webhook_secrets webhook_secrets_from_env(std::string api, bool development);

// The secrets being retired: WEBHOOK_SECRET_PREVIOUS, USER_WEBHOOK_SECRET_PREVIOUS and
// OPERATOR_WEBHOOK_SECRET_PREVIOUS, each checked as its current one is. One left unset is
// the current one, except that a secret made from WEBHOOK_SECRET (its sibling unset) is
// made from the previous WEBHOOK_SECRET, as it was before the rotation. nullopt when none
// is set, or they name the current secrets. A key the API's receiver trusts (either
// WEBHOOK_SECRET) held by any other receiver is refused, as it is between the current ones.
// Throws drover::error(invalid_argument) naming the variable.
std::optional<webhook_secrets> previous_webhook_secrets_from_env(const webhook_secrets& current, bool development);

// The webhook secrets the settings hold, for shared_secret_among (distinct_secrets.hpp):
// WEBHOOK_SECRET, and each other one whose variable is set (one made from WEBHOOK_SECRET
// is no setting's), but a previous one that is its current one.
std::vector<named_secret> named_webhook_secrets(const webhook_secrets& current,
                                                const std::optional<webhook_secrets>& previous);

// The webhook-signature header's value: the signature made with `key` and, when a
// rotation gives a `previous` key that differs (same_webhook_key), the one made with it,
// space-separated as Standard Webhooks lists several: a receiver holding either key
// verifies the delivery.
std::string sign_webhook_with(std::string_view key, std::string_view previous, std::string_view id,
                              std::int64_t timestamp, std::string_view body);

}  // namespace drover::app
