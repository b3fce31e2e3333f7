// webhook_secrets.cpp - the secrets webhooks are signed from, current and previous.
#include "drover_app/webhook_secrets.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

#include <drover/error.hpp>

#include "drover_app/env.hpp"
#include "drover_app/user_webhooks.hpp"
#include "drover_app/webhook_signature.hpp"

namespace drover::app {

std::string webhook_secrets::user_key(std::string_view user_id) const { return user_webhook_key(api, users, user_id); }

webhook_secrets webhook_secrets_from_env(std::string api, bool development) {
  webhook_secrets s;
  s.users = user_webhook_secret_from_env(api, development);
  s.operators = own_webhook_secret_from_env("OPERATOR_WEBHOOK_SECRET", api, development, operator_webhooks_purpose);
  s.api = std::move(api);
  return s;
}

std::optional<webhook_secrets> previous_webhook_secrets_from_env(const webhook_secrets& current, bool development) {
  const char* api = env("WEBHOOK_SECRET_PREVIOUS");
  const char* users = env("USER_WEBHOOK_SECRET_PREVIOUS");
  const char* operators = env("OPERATOR_WEBHOOK_SECRET_PREVIOUS");
  if (!api && !users && !operators) return std::nullopt;
  const auto checked = [development](const char* name, const char* value) {
    try {
      require_usable_webhook_secret(value, name, development);
    } catch (const std::invalid_argument& e) {
      throw error(errc::invalid_argument, e.what());
    }
    return std::string(value);
  };
  webhook_secrets previous;
  previous.api = api ? checked("WEBHOOK_SECRET_PREVIOUS", api) : current.api;
  // Unset, a secret of its own was not rotated; one made from WEBHOOK_SECRET was made from
  // the previous one until the rotation, and users' receivers still hold keys made so.
  const auto own = [&](const char* name, const char* previous_name, const char* value, const std::string& now,
                       std::string_view purpose) {
    if (value) return checked(previous_name, value);
    if (env(name)) return now;
    return derived_webhook_secret(previous.api, purpose);
  };
  previous.users =
      own("USER_WEBHOOK_SECRET", "USER_WEBHOOK_SECRET_PREVIOUS", users, current.users, user_webhooks_purpose);
  previous.operators = own("OPERATOR_WEBHOOK_SECRET", "OPERATOR_WEBHOOK_SECRET_PREVIOUS", operators, current.operators,
                           operator_webhooks_purpose);
  // The API's receiver accepts both of its keys during a rotation: no other receiver may
  // hold either (one that did could replay what it got into the API as an answer).
  const std::pair<const char*, const std::string*> trusted[] = {{"WEBHOOK_SECRET", &current.api},
                                                                {"WEBHOOK_SECRET_PREVIOUS", &previous.api}};
  const std::pair<const char*, const std::string*> others[] = {
      {"USER_WEBHOOK_SECRET", &current.users},
      {"USER_WEBHOOK_SECRET_PREVIOUS", &previous.users},
      {"OPERATOR_WEBHOOK_SECRET", &current.operators},
      {"OPERATOR_WEBHOOK_SECRET_PREVIOUS", &previous.operators}};
  for (const auto& [trusted_name, trusted_secret] : trusted) {
    for (const auto& [name, secret] : others) {
      if (!same_webhook_key(*trusted_secret, *secret)) continue;
      throw error(errc::invalid_argument,
                  fmt::format("{} is the key of {}: its receivers would hold a key the API's receiver trusts; give "
                              "it a secret of its own",
                              name, trusted_name));
    }
  }
  if (previous == current) return std::nullopt;
  return previous;
}

std::vector<named_secret> named_webhook_secrets(const webhook_secrets& current,
                                                const std::optional<webhook_secrets>& previous) {
  std::vector<named_secret> out;
  if (!current.api.empty()) out.push_back(webhook_secret("WEBHOOK_SECRET", current.api));
  const auto add = [&](const char* name, const std::string& value, const std::string* now) {
    if (!env(name) || value.empty() || (now && same_webhook_key(value, *now))) return;
    out.push_back(webhook_secret(name, value));
  };
  add("USER_WEBHOOK_SECRET", current.users, nullptr);
  add("OPERATOR_WEBHOOK_SECRET", current.operators, nullptr);
  if (previous) {
    add("WEBHOOK_SECRET_PREVIOUS", previous->api, &current.api);
    add("USER_WEBHOOK_SECRET_PREVIOUS", previous->users, &current.users);
    add("OPERATOR_WEBHOOK_SECRET_PREVIOUS", previous->operators, &current.operators);
  }
  return out;
}

std::string sign_webhook_with(std::string_view key, std::string_view previous, std::string_view id,
                              std::int64_t timestamp, std::string_view body) {
  auto signatures = sign_webhook(key, id, timestamp, body);
  if (previous.empty() || same_webhook_key(previous, key)) return signatures;
  signatures.append(" ").append(sign_webhook(previous, id, timestamp, body));
  return signatures;
}

}  // namespace drover::app
