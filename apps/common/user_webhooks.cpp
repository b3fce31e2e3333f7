// user_webhooks.cpp - USER_WEBHOOK_SECRET, each user's key, and a delivery's user.
#include "drover_app/user_webhooks.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include <drover/error.hpp>

#include "drover_app/env.hpp"
#include "drover_app/webhook_signature.hpp"

namespace drover::app {

std::string own_webhook_secret_from_env(const char* name, const std::string& webhook_secret, bool development,
                                        std::string_view purpose) {
  const char* v = env(name);
  if (!v) return derived_webhook_secret(webhook_secret, purpose);
  std::string secret = v;
  try {
    require_usable_webhook_secret(secret, name, development);
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  // Trimmed too: a secret mounted from a file ends in a newline, and WEBHOOK_SECRET with
  // one added passed as another secret (a configuration review).
  if (same_webhook_key(secret, webhook_secret)) {
    throw error(errc::invalid_argument,
                fmt::format("{} is the key of WEBHOOK_SECRET: its receivers would hold the key the API's receiver "
                            "trusts; give it a secret of its own",
                            name));
  }
  return secret;
}

std::string user_webhook_secret_from_env(const std::string& webhook_secret, bool development) {
  return own_webhook_secret_from_env("USER_WEBHOOK_SECRET", webhook_secret, development, user_webhooks_purpose);
}

std::string user_webhook_key(std::string_view webhook_secret, std::string_view user_secret, std::string_view user_id) {
  const auto root =
      derived_webhook_secret(webhook_secret, fmt::format("drover per-user webhook keys\n{}", webhook_key(user_secret)));
  return derived_webhook_secret(root, fmt::format("drover webhook key of user\n{}", user_id));
}

std::string delivery_user(const boost::json::value& data) {
  const auto* o = data.if_object();
  if (!o) return {};
  const auto* payload = o->if_contains("payload");
  if (!payload || !payload->is_object()) return {};
  const auto* user = payload->get_object().if_contains("userId");
  return user && user->is_string() ? std::string(user->get_string()) : std::string();
}

}  // namespace drover::app
