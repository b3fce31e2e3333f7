// redact_url.hpp - a URL with its secrets masked, for every message that echoes one
// (Redis URLs in errors, database URLs in logs).
#pragma once

#include <string>
#include <string_view>

namespace drover {

// The mask that replaces a secret.
inline constexpr std::string_view redacted = "***";

// `url` with the password of its user info masked: redis://:pw@h:6379/0 ->
// redis://:***@h:6379/0, postgres://u:pw@h/db -> postgres://u:***@h/db. Also masks the
// values of query parameters named like secrets (password, token, key, secret:
// sentinel_password=...). A mistyped URL is masked as well as can be ("postgres//u:pw@h"
// -> "postgres//u:***@h"); text without user info or query comes back unchanged.
std::string redact_url(std::string_view url);

// The password of a URL's user info as written (percent-encoded), or "" when it has none.
std::string_view url_password(std::string_view url);

}  // namespace drover
