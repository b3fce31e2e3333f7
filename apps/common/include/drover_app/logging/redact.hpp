// redact.hpp - keeping secrets out of logs: URLs with their password masked, and a
// process-wide list of secret values that the log formatters mask wherever they appear.
#pragma once

#include <string>
#include <string_view>

#include <drover/redact_url.hpp>

namespace drover::app {

// The one URL redaction (drover/redact_url.hpp), under the apps' names.
using drover::redact_url;
using drover::redacted;

// Adds a value that must never be written to a log (a password, an API key, a webhook
// secret). Values shorter than 4 characters are ignored: masking "a" everywhere would
// garble every line, and such a secret guards nothing anyway.
// Thread safety: may be called from any thread.
void add_secret(std::string value);

// Reads the secrets of the apps' environment: the passwords in REDIS_URL, REDIS_PASSWORD,
// REDIS_SENTINEL_PASSWORD and DATABASE_URL, AI_API_KEY, the webhook secrets, ALERT_WEBHOOK_URL
// (a Slack webhook URL is itself a credential), DASHBOARD_TOKEN, AUTH_JWT_SECRET,
// METRICS_TOKEN and the passwords of DASHBOARD_USERS (name:password:role,...).
void add_secrets_from_env();

// `text` with every registered secret replaced by the mask.
// Thread safety: may be called from any thread.
std::string scrub_secrets(std::string_view text);

}  // namespace drover::app
