// base64.hpp - base64 and base64url for the apps (Basic credentials, Standard Webhooks
// signatures and secrets, JWS), on OpenSSL's encoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drover::app {

// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);

// The bytes of standard base64 (RFC 4648 section 4); the '=' padding may be left out.
// std::nullopt for any character outside the alphabet (whitespace included), padding
// anywhere but at the end, or a length that leaves one stray character.
std::optional<std::string> base64_decode(std::string_view in);

// The bytes of unpadded base64url (RFC 7515 section 2), in its one canonical spelling:
// std::nullopt also for '=' and for unused trailing bits that are not zero, so that one
// byte string has one encoding (a JWS must not be malleable).
std::optional<std::string> base64url_decode(std::string_view in);

}  // namespace drover::app
