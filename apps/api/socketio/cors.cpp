// cors.cpp - Origin checks and CORS headers for the Engine.IO endpoints.
#include "api/socketio/cors.hpp"

#include <algorithm>

#include "api/socketio/engineio_error.hpp"

#include <drover_app/ascii.hpp>

namespace drover::api::socketio {
namespace http = boost::beast::http;

namespace {

using app::iequals;

// Host names compare case-insensitively.
// "https://example.com:8080" -> "example.com:8080", the form of a Host header.
std::string_view origin_authority(std::string_view origin) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  return origin.substr(scheme_end + 3);
}

}  // namespace

cors_policy::cors_policy(std::vector<std::string> allowed_origins) : allowed_(std::move(allowed_origins)) {
  any_ = std::find(allowed_.begin(), allowed_.end(), "*") != allowed_.end();
}

bool cors_policy::listed(std::string_view origin) const {
  return any_ || std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end();
}

bool cors_policy::allows(std::string_view origin, std::string_view host) const {
  if (origin.empty()) return true;
  const auto authority = origin_authority(origin);
  if (!authority.empty() && iequals(authority, host)) return true;
  return listed(origin);
}

void cors_policy::add_headers(http::response<http::string_body>& res, std::string_view origin,
                              std::string_view host) const {
  if (origin.empty() || iequals(origin_authority(origin), host) || !listed(origin)) return;
  res.set(http::field::access_control_allow_origin, origin);
  res.set(http::field::access_control_allow_credentials, "true");
  res.set(http::field::vary, "Origin");
}

http::response<http::string_body> cors_policy::preflight(const http::request<http::string_body>& req) const {
  const auto origin = req[http::field::origin];
  const auto host = req[http::field::host];
  if (!allows(origin, host)) return error_response(engineio_error::forbidden, req.version(), req.keep_alive());
  http::response<http::string_body> res{http::status::no_content, req.version()};
  add_headers(res, origin, host);
  res.set(http::field::access_control_allow_methods, "GET,POST");
  const auto requested = req[http::field::access_control_request_headers];
  if (!requested.empty()) res.set(http::field::access_control_allow_headers, requested);
  res.set(http::field::access_control_max_age, "86400");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace drover::api::socketio
