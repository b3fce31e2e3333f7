// bearer_token.hpp - checking a fixed bearer token (METRICS_TOKEN) without a timing oracle.
#pragma once

#include <string_view>

namespace drover::httpd {

// Whether `authorization` (an Authorization header value) is "Bearer <token>". The two
// tokens are compared as SHA-256 digests in constant time, so neither their bytes nor
// their lengths show in the time taken. An empty `token` matches nothing.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

}  // namespace drover::httpd
