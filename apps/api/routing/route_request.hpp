// route_request.hpp - what a route handler receives: the request, its parsed URL, the
// pattern's parameters and who is calling.
#pragma once

#include <boost/url/url_view.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "httpd/http_types.hpp"

namespace drover::api {

// The HTTP names route handlers are written with, declared once for all of them.
namespace http = httpd::http;
using httpd::json_response;
using httpd::request;
using httpd::response;

// The verified caller of a route. For a user route: `user` is the JWT's `sub`, or empty
// in AUTH_MODE=none, where the one development user may act on everything (owns()).
// For an operator route: `user` is the dashboard user ("token" for the bearer token).
struct caller {
  std::string user;
  bool development = false;  // AUTH_MODE=none: no identity, no ownership checks
  bool admin = false;        // operator routes: the admin role
  // When the caller's token lapses (jwt_verifier.hpp's identity::valid_until); nothing in
  // the development mode.
  std::optional<std::chrono::system_clock::time_point> valid_until;

  // Whether this caller may see and touch what `owner` owns. An empty owner (data made
  // before ownership existed, or by a producer that named no user) belongs to nobody
  // but the development user.
  bool owns(std::string_view owner) const { return development || (!owner.empty() && owner == user); }
};

struct route_request {
  const httpd::request& req;
  boost::urls::url_view url;
  std::vector<std::pair<std::string, std::string>> params;  // ":name" parts and their values
  caller who;
  // The client's address (the peer, or the client a trusted proxy names); valid while
  // the handler runs.
  std::string_view client_address;

  // The value of the pattern part ":name"; throws std::out_of_range when the route has none.
  const std::string& param(std::string_view name) const;
  // A query-string parameter, or std::nullopt; throws http_error 400 when it is not UTF-8.
  std::optional<std::string> query(std::string_view name) const;
};

}  // namespace drover::api
