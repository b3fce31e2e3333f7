// route_request.cpp - a handler's access to the pattern's parameters and the query string.
#include "api/routing/route_request.hpp"

#include <stdexcept>

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
  return std::string((*it).value);
}

}  // namespace drover::api
