// admin_access.cpp - dashboard credentials, their checks, and the cross-site guard.
#include "api/admin_access.hpp"

#include <drover_app/ascii.hpp>
#include <drover_app/base64.hpp>
#include <drover_app/secret_strength.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace drover::api {

namespace {

using app::iequals;
using app::trim_space;

// "Scheme rest" with a case-insensitive scheme; the rest, or nullopt.
std::optional<std::string_view> after_scheme(std::string_view header, std::string_view scheme) {
  header = trim_space(header);
  if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme) ||
      header[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return trim_space(header.substr(scheme.size() + 1));
}

}  // namespace

const char* to_string(admin_role r) { return r == admin_role::admin ? "admin" : "viewer"; }

std::vector<std::pair<std::string, std::string>> admin_access::named_secrets() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!token_.empty()) out.emplace_back("DASHBOARD_TOKEN", token_);
  for (const auto& u : users_) out.emplace_back("the DASHBOARD_USERS password of " + u.name, u.password);
  return out;
}

std::string admin_access::weakness(std::size_t min_token, std::size_t min_password) const {
  if (!token_.empty() && token_.size() < min_token) {
    return "DASHBOARD_TOKEN is too short: at least " + std::to_string(min_token) +
           " characters outside the development mode (e.g. openssl rand -hex 24)";
  }
  if (!token_.empty() && app::guessable_secret(token_)) {
    return "DASHBOARD_TOKEN has only " + std::to_string(app::distinct_bytes(token_)) +
           " different characters, too few to resist guessing (e.g. openssl rand -hex 24)";
  }
  for (const auto& u : users_) {
    if (u.password.size() < min_password || app::guessable_secret(u.password)) {
      return "DASHBOARD_USERS: the password of '" + u.name + "' is too short or too uniform: at least " +
             std::to_string(min_password) + " characters, " + std::to_string(app::min_distinct_secret_bytes) +
             " of them different, outside the development mode";
    }
  }
  return {};
}

admin_access::admin_access(std::string token, std::string_view users) : token_(std::string(trim_space(token))) {
  std::size_t index = 0;
  while (!users.empty()) {
    auto comma = users.find(',');
    auto entry = trim_space(users.substr(0, comma));
    users = comma == std::string_view::npos ? std::string_view{} : users.substr(comma + 1);
    ++index;
    if (entry.empty()) continue;
    auto first = entry.find(':');
    auto last = entry.rfind(':');
    if (first == std::string_view::npos || first == last || first == 0 || last == first + 1) {
      throw std::invalid_argument("DASHBOARD_USERS entry " + std::to_string(index) +
                                  " must be name:password:role (admin or viewer; a password cannot contain ',')");
    }
    user u;
    u.name = std::string(entry.substr(0, first));
    u.password = std::string(entry.substr(first + 1, last - first - 1));
    auto role = entry.substr(last + 1);
    if (role == "admin") {
      u.role = admin_role::admin;
    } else if (role == "viewer") {
      u.role = admin_role::viewer;
    } else {
      // Not the text it found: a password with a ',' in it ends the entry early, and what
      // stood where the role should be is part of that password.
      throw std::invalid_argument("DASHBOARD_USERS entry " + std::to_string(index) + " (user '" + u.name +
                                  "'): the role after the last ':' must be admin or viewer (entries are separated by "
                                  "',', which a password cannot contain)");
    }
    // One name, one role and one password: two entries of a name signed in with either
    // password, each with its own role, and shared one login throttle.
    for (const auto& other : users_) {
      if (other.name == u.name) {
        throw std::invalid_argument("DASHBOARD_USERS entry " + std::to_string(index) + " names user '" + u.name +
                                    "' again: each user once");
      }
    }
    users_.push_back(std::move(u));
  }
}

std::optional<admin_identity> admin_access::authenticate(std::string_view authorization) const {
  if (auto bearer = after_scheme(authorization, "Bearer")) {
    if (!token_.empty() && constant_time_equal(*bearer, token_)) return admin_identity{"token", admin_role::admin};
    return std::nullopt;
  }
  auto basic = after_scheme(authorization, "Basic");
  if (!basic) return std::nullopt;
  auto decoded = drover::app::base64_decode(*basic);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string_view name(decoded->data(), colon);
  std::string_view password = std::string_view(*decoded).substr(colon + 1);
  std::optional<admin_identity> found;
  for (const auto& u : users_) {
    // Both comparisons run for every user: no early exit to time.
    const bool name_ok = constant_time_equal(name, u.name);
    const bool password_ok = constant_time_equal(password, u.password);
    if (name_ok && password_ok && !found) found = admin_identity{u.name, u.role};
  }
  return found;
}

std::string claimed_login(std::string_view authorization) {
  // The token has no name to throttle: it is one for every operator, so anyone could keep
  // it out by spending its allowance, and at 32 characters or more it is not guessed by
  // trying (admin_access::production_weakness). Its failures count per address only.
  if (after_scheme(authorization, "Bearer")) return {};
  auto basic = after_scheme(authorization, "Basic");
  if (!basic) return {};
  auto decoded = drover::app::base64_decode(*basic);
  if (!decoded) return {};
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return {};
  // A long name is still one name to throttle; the cap keeps the throttle's table small.
  return decoded->substr(0, std::min<std::size_t>(colon, 64));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Runs over the longer input whatever the contents; only the lengths leak.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string cross_site_refusal(const action_request& r) {
  if (r.method != "POST" && r.method != "DELETE") return "actions must be POST or DELETE";
  auto type = trim_space(r.content_type);
  const bool json_body = type.size() >= 16 && iequals(type.substr(0, 16), "application/json");
  if (r.action_header.empty() && !json_body) {
    return "actions need the header X-Drover-Action or a JSON body (Content-Type: application/json)";
  }
  return cross_origin_refusal(r.host, r.origin, r.sec_fetch_site);
}

std::string cross_origin_refusal(std::string_view host, std::string_view origin, std::string_view sec_fetch_site) {
  if (!sec_fetch_site.empty() && sec_fetch_site != "same-origin" && sec_fetch_site != "none") {
    return "cross-site request refused (Sec-Fetch-Site: " + std::string(sec_fetch_site) + ")";
  }
  if (!origin.empty()) {
    auto scheme_end = origin.find("://");
    auto authority = scheme_end == std::string_view::npos ? std::string_view{} : origin.substr(scheme_end + 3);
    if (authority.empty() || !iequals(authority, trim_space(host))) {
      return "cross-site request refused (Origin " + std::string(origin) + " is not this server)";
    }
  }
  return {};
}

}  // namespace drover::api
