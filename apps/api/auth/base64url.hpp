// base64url.hpp - the unpadded base64url of JWS (RFC 7515 section 2), decoded strictly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drover::api::auth {

// The bytes `in` encodes, or std::nullopt when it is not canonical unpadded base64url:
// a character outside [A-Za-z0-9-_] (so also '=' and whitespace), a length that leaves
// one stray character, or unused trailing bits that are not zero. Being strict keeps one
// byte string to one spelling. Thread safety: a pure function.
std::optional<std::string> base64url_decode(std::string_view in);

}  // namespace drover::api::auth
