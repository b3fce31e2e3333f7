// webhook_signature.hpp - signs and verifies webhooks as the Standard Webhooks
// specification does (https://www.standardwebhooks.com), so that receivers using its
// reference libraries (npm `standardwebhooks` and its siblings) verify what the workers
// sign, and the API accepts what those libraries sign.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace drover::app {

// The HMAC key a secret stands for. A secret in the specification's form, "whsec_"
// followed by base64, stands for the decoded bytes after the prefix (what the reference
// libraries use); any other secret is used as it is, byte for byte, as drover always did.
// Throws std::invalid_argument when a "whsec_" secret is not valid base64 or decodes to
// nothing; the message never contains the secret. Call it once at startup to refuse a
// malformed WEBHOOK_SECRET before the first delivery.
std::string webhook_key(std::string_view secret);

// `key` as HMAC-SHA256 uses it: hashed when longer than 64 bytes, then padded with zero
// bytes, so that K and K followed by zero bytes sign alike. Two keys sign alike exactly
// when their identities are equal: what "the same key" means when secrets are compared.
std::string hmac_key_identity(std::string_view key);

// Whether two webhook secrets stand for keys that sign alike (hmac_key_identity of their
// webhook_key), or are the same text but for surrounding white space. Throws
// std::invalid_argument as webhook_key does.
bool same_webhook_key(std::string_view a, std::string_view b);

// "v1," + base64(HMAC-SHA256(webhook_key(secret), id + "." + timestamp + "." + body)): the
// value of the `webhook-signature` header. `timestamp` is in seconds since the epoch.
// Throws std::invalid_argument as webhook_key does.
std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body);

// A secret of its own for `purpose`, made from `secret`: "whsec_" + base64 of
// HMAC-SHA256(webhook_key(secret), purpose). Whoever holds it can neither find `secret`
// nor sign with it, so deliveries to receivers users chose carry a signature the API's
// own receiver refuses (a user's receiver could otherwise replay what it got to the API).
// Throws std::invalid_argument as webhook_key does.
std::string derived_webhook_secret(std::string_view secret, std::string_view purpose);

// What derived_webhook_secret is given for the deliveries to URLs users chose.
inline constexpr std::string_view user_webhooks_purpose = "drover user webhook deliveries";
// And for the deliveries to no user's URL (alerts, deliveries queued by hand).
inline constexpr std::string_view operator_webhooks_purpose = "drover operator webhook deliveries";

// The secret drover api and drover workers sign with in the development mode
// (AUTH_MODE=none) when WEBHOOK_SECRET is unset. Everyone knows it.
inline constexpr std::string_view development_webhook_secret = "dev-webhook-secret";

// The shortest key a production start signs with: the Standard Webhooks minimum for a
// "whsec_" key (random bytes); a plain secret, typed by a person, needs 32 characters.
// A key of a few bytes is found by trying them all against the receiver.
inline constexpr std::size_t min_webhook_key_bytes = 24;
inline constexpr std::size_t min_plain_webhook_secret_chars = 32;

// Refuses, with std::invalid_argument naming `setting` and saying what to do, a secret a
// production start must not sign or verify with: unset, the development one, malformed
// (webhook_key), or shorter than the minimums above. The message never contains it.
void require_production_webhook_secret(std::string_view secret, std::string_view setting = "WEBHOOK_SECRET");

// What the Workers app checks of each secret it signs with, at start: in the development
// mode only that it is well formed (webhook_key; the message then starts "<setting>: "),
// otherwise require_production_webhook_secret. Throws std::invalid_argument.
void require_usable_webhook_secret(std::string_view secret, std::string_view setting, bool development);

enum class webhook_check { ok, missing_headers, bad_timestamp, too_old_or_new, bad_signature };

// Checks a delivery: the signature (one of the space-separated `v1,...` entries must
// match, compared in constant time) and the timestamp (within `tolerance` of now, which
// refuses replays of old deliveries). Throws std::invalid_argument as webhook_key does.
webhook_check verify_webhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                             std::string_view signature_header, std::string_view body,
                             std::chrono::seconds tolerance = std::chrono::minutes(5));

const char* to_string(webhook_check c);

}  // namespace drover::app
