// auth_token.hpp - where a Socket.IO client's bearer token is: the CONNECT payload or the Authorization header.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace drover::api::socketio {

// Returns the token an authenticator should verify: `auth.token` when the CONNECT
// payload has it (socket.io-client's io(url, {auth: {token}})), else the credentials
// of an "Authorization: Bearer <token>" header (scheme case-insensitive, as RFC 9110
// says), else std::nullopt. A payload whose token is not a non-empty string yields
// std::nullopt, not the header's: a client that sends a token means that one.
std::optional<std::string> bearer_token(const boost::json::value& auth, std::string_view authorization);

}  // namespace drover::api::socketio
