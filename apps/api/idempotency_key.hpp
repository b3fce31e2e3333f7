// idempotency_key.hpp - POST /api/chat/send's Idempotency-Key header (the IETF
// httpapi draft's name): reading it, and the one name a key has for its user in the
// database and in Redis.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "httpd/http_types.hpp"

namespace drover::api {

// Longer keys are refused with 400; a UUID is 36, Stripe's limit is 255.
inline constexpr std::size_t max_idempotency_key_chars = 255;

// The request's Idempotency-Key, std::nullopt without one. The draft writes it as a
// Structured Field string ("..."); a bare token is taken too, as most clients send one.
// Throws http_error 400 when it is empty, longer than max_idempotency_key_chars, holds
// anything but ASCII letters, digits and - _ . : ~ + / =, or is given twice.
std::optional<std::string> idempotency_key_of(const httpd::request& req);

// The key scoped to its user: "chat-send:" and a SHA-256 (hex) of both, so that one
// user's key never matches another's and any key fits. It names the user's message in
// the database (messages.idempotency_key) and the job's BullMQ deduplication id.
std::string scoped_send_key(const std::string& user_id, const std::string& key);

}  // namespace drover::api
