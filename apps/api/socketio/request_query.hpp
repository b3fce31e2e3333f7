// request_query.hpp - what an Engine.IO request's target says: path and query.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drover::api::socketio {

// The path Engine.IO listens on; socket.io-client's default `path` plus the
// trailing slash engine.io-client adds.
inline constexpr std::string_view engineio_path = "/socket.io/";

// The Engine.IO query parameters of a request, percent-decoded. Missing
// parameters are empty strings.
struct request_query {
  std::string eio;        // protocol revision, "4" for every supported client
  std::string transport;  // "polling" or "websocket"
  std::string sid;        // empty on the handshake request
};

// True when the target's path is engineio_path or below it.
bool is_engineio_target(std::string_view target);

// Parses an origin-form target such as "/socket.io/?EIO=4&transport=polling".
// Returns std::nullopt when the target is not a valid origin-form URL.
std::optional<request_query> parse_request_query(std::string_view target);

}  // namespace drover::api::socketio
