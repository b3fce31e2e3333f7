// auth_token.cpp - finding the bearer token of a Socket.IO CONNECT.
#include "api/socketio/auth_token.hpp"

#include <boost/json/object.hpp>
#include <cctype>

namespace drover::api::socketio {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> bearer_token(const boost::json::value& auth, std::string_view authorization) {
  if (const auto* o = auth.if_object(); o && o->contains("token")) {
    const auto& token = o->at("token");
    if (!token.is_string() || token.get_string().empty()) return std::nullopt;
    return std::string(token.get_string());
  }
  authorization = trim(authorization);
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Bearer")) return std::nullopt;
  const auto credentials = trim(authorization.substr(space + 1));
  if (credentials.empty()) return std::nullopt;
  return std::string(credentials);
}

}  // namespace drover::api::socketio
