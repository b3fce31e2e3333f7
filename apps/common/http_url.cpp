// http_url.cpp - see http_url.hpp.
#include "drover_app/http_url.hpp"

#include <boost/url/parse.hpp>

#include <charconv>
#include <cstdint>

namespace drover::app {

bool usable_port(std::string_view port) {
  // port_number() wraps a port beyond 65535 rather than refusing it: read the digits.
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  return ec == std::errc() && end == port.data() + port.size() && n >= 1 && n <= 65535;
}

std::optional<boost::urls::url_view> http_url(std::string_view text) {
  auto u = boost::urls::parse_uri(text);
  if (!u || !u->has_authority() || u->encoded_host().empty() || u->has_fragment()) return std::nullopt;
  if (u->scheme_id() != boost::urls::scheme::http && u->scheme_id() != boost::urls::scheme::https) return std::nullopt;
  if (u->has_port() && !usable_port(u->port())) return std::nullopt;
  return *u;
}

}  // namespace drover::app
