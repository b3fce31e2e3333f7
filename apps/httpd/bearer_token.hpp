// bearer_token.hpp - checking a fixed bearer token (METRICS_TOKEN) without a timing oracle,
// and with failed guesses throttled.
#pragma once

#include <chrono>
#include <string_view>

#include "httpd/login_throttle.hpp"

namespace drover::httpd {

// Whether `authorization` (an Authorization header value) is "Bearer <token>". The two
// tokens are compared as SHA-256 digests in constant time, so neither their bytes nor
// their lengths show in the time taken. An empty `token` matches nothing.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

// What a request presenting `authorization` for the fixed `token` gets.
struct token_admission {
  bool admitted = false;
  // Set (> 0) when the client address has failed too often: answer 429 with Retry-After.
  std::chrono::milliseconds retry_after{0};
};

// Checks a fixed bearer token with the failed-credential throttle the dashboard's logins
// use (login_throttle.hpp), per client address only: a throttled address is refused
// before its token is compared, and a wrong token counts one failure against it. There is
// no per-name side here: with one token, anyone could spend that budget from anywhere and
// keep the legitimate scraper out. A missing header is a prompt, not a failure. An empty
// `token` (none configured) admits everyone.
token_admission admit_bearer_token(std::string_view authorization, std::string_view token,
                                   std::string_view client_address, login_throttle& throttle);

// Whether /metrics, which names every queue and its counts, may be served to anyone on a
// listener bound to `bind` when no METRICS_TOKEN is set: in the development mode, or on a
// loopback address (a private listener, as METRICS_BIND is by default). The API's public
// port is never private, whatever it binds: a proxy on the same host makes it public.
bool metrics_open_without_token(bool development, std::string_view bind);

// What /metrics answers (403) where it is not open and no METRICS_TOKEN is set.
inline constexpr std::string_view metrics_token_missing =
    "/metrics needs METRICS_TOKEN outside the development mode (or, on the API, METRICS_PORT to serve it on "
    "METRICS_BIND, loopback by default)";

}  // namespace drover::httpd
