// engineio_error.hpp - the errors Engine.IO answers a bad request with.
//
// The codes and messages are engine.io's own (server.ts ERROR_MESSAGES), so a
// client or a person reading the network tab sees what the reference would send:
//   HTTP/1.1 400 Bad Request
//   Content-Type: application/json
//   {"code":1,"message":"Session ID unknown"}
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

namespace drover::api::socketio {

enum class engineio_error {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

// Returns the reference server's message for the code, e.g. "Session ID unknown".
std::string_view message(engineio_error e);

// Returns the response for the error: 403 for forbidden, 400 otherwise, with the
// JSON body above. The caller adds CORS headers if any.
boost::beast::http::response<boost::beast::http::string_body> error_response(engineio_error e, unsigned version,
                                                                             bool keep_alive);

// The refusal of a handshake when max_sessions are open: 503 with
// {"code":4,"message":"Server full"} and Retry-After. The body is what engine.io
// sends when its allowRequest hook refuses a request with a reason (code 4,
// Forbidden, the reason as message); the status says that it may work later.
boost::beast::http::response<boost::beast::http::string_body> server_full_response(unsigned version, bool keep_alive);

// The refusal of a handshake from an address that has max_sessions_per_address open:
// 429 with {"code":4,"message":"Too many sessions from your address"} and Retry-After,
// the same allowRequest-style body as above.
boost::beast::http::response<boost::beast::http::string_body> too_many_sessions_response(unsigned version,
                                                                                         bool keep_alive);

}  // namespace drover::api::socketio
