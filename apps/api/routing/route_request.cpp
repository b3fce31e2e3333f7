// route_request.cpp - a handler's access to the pattern's parameters and the query string.
#include "api/routing/route_request.hpp"

#include <stdexcept>

#include <drover_app/utf8.hpp>

#include "api/http_error.hpp"

namespace drover::api {

const std::string& route_request::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  throw std::out_of_range("route has no parameter '" + std::string(name) + "'");
}

std::optional<std::string> route_request::query(std::string_view name) const {
  auto it = url.params().find(name);
  if (it == url.params().end()) return std::nullopt;
  std::string value((*it).value);
  // Decoded from %XX: any bytes, which a database storing text refuses.
  // NUL too: PostgreSQL stores no text holding it.
  if (!app::is_utf8(value) || value.find('\0') != std::string::npos) {
    throw http_error(http::status::bad_request,
                     "Query parameter '" + std::string(name) + "' is not valid UTF-8 or holds a NUL (%00)");
  }
  return value;
}

}  // namespace drover::api
