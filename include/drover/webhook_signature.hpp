// webhook_signature.hpp - signs and verifies webhooks as the Standard Webhooks scheme does.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace drover {

// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)): the value of
// the `webhook-signature` header. `timestamp` is in seconds since the epoch.
std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body);

enum class webhook_check { ok, missing_headers, bad_timestamp, too_old_or_new, bad_signature };

// Checks a delivery: the signature (one of the space-separated `v1,...` entries must
// match, compared in constant time) and the timestamp (within `tolerance` of now, which
// refuses replays of old deliveries). For receivers written with drover.
webhook_check verify_webhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                             std::string_view signature_header, std::string_view body,
                             std::chrono::seconds tolerance = std::chrono::minutes(5));

const char* to_string(webhook_check c);

}  // namespace drover
