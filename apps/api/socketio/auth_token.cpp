// auth_token.cpp - finding the bearer token of a Socket.IO CONNECT.
#include "api/socketio/auth_token.hpp"

#include <boost/json/object.hpp>

#include <drover_app/ascii.hpp>

namespace drover::api::socketio {

namespace {

using app::iequals;
using app::trim_ows;

}  // namespace

std::optional<std::string> bearer_token(const boost::json::value& auth, std::string_view authorization) {
  if (const auto* o = auth.if_object(); o && o->contains("token")) {
    const auto& token = o->at("token");
    if (!token.is_string() || token.get_string().empty()) return std::nullopt;
    return std::string(token.get_string());
  }
  authorization = trim_ows(authorization);
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Bearer")) return std::nullopt;
  const auto credentials = trim_ows(authorization.substr(space + 1));
  if (credentials.empty()) return std::nullopt;
  return std::string(credentials);
}

}  // namespace drover::api::socketio
