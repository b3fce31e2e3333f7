// engineio_error.cpp - Engine.IO's error responses.
#include "api/socketio/engineio_error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace drover::api::socketio {
namespace http = boost::beast::http;

std::string_view message(engineio_error e) {
  switch (e) {
    case engineio_error::unknown_transport:
      return "Transport unknown";
    case engineio_error::unknown_sid:
      return "Session ID unknown";
    case engineio_error::bad_handshake_method:
      return "Bad handshake method";
    case engineio_error::bad_request:
      return "Bad request";
    case engineio_error::forbidden:
      return "Forbidden";
    case engineio_error::unsupported_protocol_version:
      return "Unsupported protocol version";
  }
  return "Bad request";
}

namespace {

http::response<http::string_body> json_error(http::status status, engineio_error e, std::string_view text,
                                             unsigned version, bool keep_alive) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "application/json");
  boost::json::object body;
  body["code"] = static_cast<int>(e);
  body["message"] = text;
  res.body() = boost::json::serialize(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace

http::response<http::string_body> error_response(engineio_error e, unsigned version, bool keep_alive) {
  const auto status = e == engineio_error::forbidden ? http::status::forbidden : http::status::bad_request;
  return json_error(status, e, message(e), version, keep_alive);
}

http::response<http::string_body> server_full_response(unsigned version, bool keep_alive) {
  auto res =
      json_error(http::status::service_unavailable, engineio_error::forbidden, "Server full", version, keep_alive);
  res.set(http::field::retry_after, "5");
  return res;
}

http::response<http::string_body> too_many_sessions_response(unsigned version, bool keep_alive) {
  auto res = json_error(http::status::too_many_requests, engineio_error::forbidden,
                        "Too many sessions from your address", version, keep_alive);
  res.set(http::field::retry_after, "5");
  return res;
}

}  // namespace drover::api::socketio
