// route_table.cpp - adding routes and matching a path against them.
#include "api/routing/route_table.hpp"

#include <stdexcept>

namespace drover::api {

namespace http = httpd::http;

const char* to_string(route_access a) {
  switch (a) {
    case route_access::open:
      return "open";
    case route_access::signed_hook:
      return "signed_hook";
    case route_access::user:
      return "user";
    case route_access::metrics:
      return "metrics";
    case route_access::operator_read:
      return "operator_read";
    case route_access::operator_act:
      return "operator_act";
  }
  return "unknown";
}

namespace {

std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> parts;
  pattern.remove_prefix(1);
  while (true) {
    auto slash = pattern.find('/');
    parts.emplace_back(pattern.substr(0, slash));
    if (slash == std::string_view::npos) break;
    pattern.remove_prefix(slash + 1);
  }
  return parts;
}

bool matches(const std::vector<std::string>& parts, const std::vector<std::string>& segments) {
  if (parts.size() != segments.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    if (!p.empty() && p.front() == ':') {
      if (segments[i].empty()) return false;
    } else if (p != segments[i]) {
      return false;
    }
  }
  return true;
}

bool method_fits(http::verb route_method, http::verb asked) {
  return route_method == asked || (route_method == http::verb::get && asked == http::verb::head);
}

}  // namespace

route& route_table::add(http::verb method, std::string pattern, route_access access,
                        std::function<boost::asio::awaitable<httpd::response>(route_request&)> handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  route r;
  r.method = method;
  r.parts = split_pattern(pattern);
  r.pattern = std::move(pattern);
  r.access = access;
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  return routes_.back();
}

route_table::match route_table::find(http::verb method, const std::vector<std::string>& segments) const {
  match m;
  m.pattern = "unmatched";
  for (const auto& r : routes_) {
    if (!matches(r.parts, segments)) continue;
    if (!method_fits(r.method, method)) {
      if (m.allow.find(std::string(http::to_string(r.method))) == std::string::npos) {
        if (!m.allow.empty()) m.allow += ", ";
        m.allow += std::string(http::to_string(r.method));
        if (r.method == http::verb::get) m.allow += ", HEAD";
      }
      m.pattern = r.pattern;
      continue;
    }
    m.found = &r;
    m.pattern = r.pattern;
    for (std::size_t i = 0; i < r.parts.size(); ++i) {
      if (!r.parts[i].empty() && r.parts[i].front() == ':') m.params.push_back(segments[i]);
    }
    m.allow.clear();
    return m;
  }
  return m;
}

}  // namespace drover::api
