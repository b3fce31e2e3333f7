// cors.hpp - which web origins may use the server, and the headers that tell browsers.
//
// Browsers send Origin on cross-origin XHR and on every WebSocket handshake. The
// polling transport needs CORS headers for a page served from elsewhere; the
// WebSocket has no CORS at all, so an Origin check is the only thing that stops
// another site's page from opening a session with the user's cookies
// (cross-site WebSocket hijacking). We therefore refuse, with Engine.IO's
// "Forbidden", any request whose Origin is neither the server's own nor listed.
// Requests without Origin (socket.io-client in Node, curl) are not browsers' and pass.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace drover::api::socketio {

// An Origin policy: the configured list (options::cors_origins), where "*" allows all.
class cors_policy {
 public:
  explicit cors_policy(std::vector<std::string> allowed_origins);

  // True when a request may proceed: no Origin, the same origin as `host` (the
  // request's Host header), or an allowed origin.
  bool allows(std::string_view origin, std::string_view host) const;

  // Adds Access-Control-Allow-Origin (and -Credentials) when the origin is a
  // listed cross origin; same-origin and Origin-less requests need none.
  void add_headers(boost::beast::http::response<boost::beast::http::string_body>& res, std::string_view origin,
                   std::string_view host) const;

  // Answers a preflight (OPTIONS) request: 204 with the allowed methods and the
  // requested headers, or 403 when the origin is not allowed.
  boost::beast::http::response<boost::beast::http::string_body> preflight(
      const boost::beast::http::request<boost::beast::http::string_body>& req) const;

 private:
  bool listed(std::string_view origin) const;

  std::vector<std::string> allowed_;
  bool any_ = false;
};

}  // namespace drover::api::socketio
