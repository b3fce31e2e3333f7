// request_body.cpp - JSON request bodies, read and refused the same way on every route.
#include "api/routing/request_body.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <string>

#include <drover/json.hpp>
#include <drover_app/ascii.hpp>

#include "api/http_error.hpp"

namespace drover::api {

namespace http = httpd::http;

namespace {

bool is_json_content(const httpd::request& req) {
  auto ct = std::string(req[http::field::content_type]);
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  // The media type itself, before any parameter: application/jsonx and
  // application/json-seq are other types (an outside review's were taken as JSON).
  const std::string_view type = app::trim_ows(std::string_view(ct).substr(0, ct.find(';')));
  return type == "application/json";
}

}  // namespace

boost::json::object json_object_body(const httpd::request& req, body_presence presence) {
  if (presence == body_presence::optional && req.body().empty()) return {};
  if (presence == body_presence::required && !is_json_content(req)) {
    throw http_error(http::status::unsupported_media_type, "Content-Type must be application/json");
  }
  boost::system::error_code ec;
  auto v = drover::parse_json(req.body(), ec);
  if (ec) throw http_error(http::status::bad_request, "Malformed JSON: " + ec.message());
  if (!v.is_object()) throw http_error(http::status::bad_request, "Request body must be a JSON object");
  return std::move(v.get_object());
}

}  // namespace drover::api
