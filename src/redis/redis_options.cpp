// redis_options.cpp - reading the Redis location from a URL or the environment.
#include "drover/redis_options.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "drover/error.hpp"

namespace drover {

namespace {

template <class Int>
Int parse_number(std::string_view text, std::string_view what, std::string_view source) {
  Int v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    throw error(errc::invalid_argument, fmt::format("invalid {} '{}' in {}", what, text, source));
  }
  return v;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

}  // namespace

redis_options redis_options::from_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    throw error(errc::invalid_argument, fmt::format("invalid Redis URL '{}': {}", text, parsed.error().message()));
  }
  const auto& u = *parsed;
  if (u.scheme() != "redis") {
    throw error(errc::invalid_argument,
                fmt::format("unsupported Redis URL scheme '{}' (expected redis://)", std::string(u.scheme())));
  }
  redis_options o;
  if (!u.host().empty()) o.host = u.host_name().empty() ? std::string(u.encoded_host()) : std::string(u.host_name());
  if (u.host_type() == boost::urls::host_type::ipv6) o.host = u.host_ipv6_address().to_string();
  if (u.has_port()) o.port = parse_number<std::uint16_t>(u.port(), "port", "Redis URL");
  if (u.has_userinfo()) {
    o.username = u.user();
    o.password = u.password();
  }
  std::string path = u.path();
  if (!path.empty() && path.front() != '/') {
    // Boost.URL reads "host:12x" as port "12" and path "x": the port was not a number.
    throw error(errc::invalid_argument, fmt::format("invalid port in Redis URL '{}'", text));
  }
  if (u.has_port() && u.port().empty()) {
    throw error(errc::invalid_argument, fmt::format("invalid port in Redis URL '{}'", text));
  }
  if (!path.empty() && path != "/") {
    o.db = parse_number<int>(std::string_view(path).substr(1), "database number", "Redis URL");
    if (o.db < 0) throw error(errc::invalid_argument, fmt::format("invalid database number in Redis URL '{}'", text));
  }
  return o;
}

redis_options redis_options::from_env() {
  if (const char* url = env("REDIS_URL")) return from_url(url);
  redis_options o;
  if (const char* host = env("REDIS_HOST")) o.host = host;
  if (const char* port = env("REDIS_PORT")) o.port = parse_number<std::uint16_t>(port, "port", "REDIS_PORT");
  if (const char* pw = env("REDIS_PASSWORD")) o.password = pw;
  return o;
}

std::string redis_options::endpoint() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

}  // namespace drover
