// postgres_settings.cpp - splits drover's parameters off a PostgreSQL URL and adds libpq's.
#include "db/postgres_settings.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace drover::app::detail {

namespace {

std::chrono::milliseconds parse_ms(std::string_view name, std::string_view value) {
  long long ms = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || end != value.data() + value.size() || ms < 0) {
    throw std::invalid_argument("open_database: " + std::string(name) +
                                " in the PostgreSQL URL must be a number of "
                                "milliseconds, not '" +
                                std::string(value) + "'");
  }
  return std::chrono::milliseconds(ms);
}

// The last '@' of the authority ends the user info, as WHATWG URLs (Node's) and drover's
// Redis URLs read it: libpq took the first, so an unescaped '@' in a password made the
// rest of it a host name, which its error then printed (a database review).
std::string with_userinfo_ats_escaped(std::string base) {
  const auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos) return base;
  const auto start = scheme_end + 3;
  const auto end = std::min(base.find('/', start), base.size());
  const auto last_at = base.rfind('@', end == 0 ? 0 : end - 1);
  if (last_at == std::string::npos || last_at < start) return base;
  std::string out = base.substr(0, start);
  for (auto i = start; i < last_at; ++i) out += base[i] == '@' ? std::string("%40") : std::string(1, base[i]);
  out += base.substr(last_at);
  return out;
}

}  // namespace

postgres_settings read_postgres_url(const std::string& url) {
  postgres_settings out;
  auto query_at = url.find('?');
  auto fragment_at = url.find('#');
  std::string base = url.substr(0, std::min(query_at, fragment_at));
  std::string fragment = fragment_at == std::string::npos ? "" : url.substr(fragment_at);
  std::string query;
  if (query_at != std::string::npos && query_at < fragment_at)
    query = url.substr(query_at + 1, fragment_at - query_at - 1);

  // Parameters are kept in their order and spelling, except drover's own: libpq
  // refuses a URL with a parameter it does not know.
  std::vector<std::string> kept;
  bool options_set_timeout = false;
  auto has = [&](std::string_view key) {
    for (const auto& p : kept) {
      if (p.size() > key.size() && p.compare(0, key.size(), key) == 0 && p[key.size()] == '=') return true;
    }
    return false;
  };
  for (std::size_t pos = 0; pos <= query.size() && !query.empty();) {
    auto end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    std::string_view param(query.data() + pos, end - pos);
    pos = end + 1;
    if (param.empty()) continue;
    auto eq = param.find('=');
    auto key = param.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (key == "statement_timeout") {
      out.statement_timeout = parse_ms(key, value);
      continue;
    }
    if (key == "pool_timeout") {
      out.pool_timeout = parse_ms(key, value);
      continue;
    }
    if (key == "options" && value.find("statement_timeout") != std::string_view::npos) options_set_timeout = true;
    kept.emplace_back(param);
  }
  if (options_set_timeout) out.statement_timeout = std::nullopt;

  static const std::pair<const char*, const char*> defaults[] = {
      // libpq waits forever for a connection by default; an unreachable database must
      // be an error within seconds.
      {"connect_timeout", "10"},     {"keepalives", "1"},       {"keepalives_idle", "30"},
      {"keepalives_interval", "10"}, {"keepalives_count", "3"},
  };
  for (const auto& [key, value] : defaults) {
    if (!has(key)) kept.push_back(std::string(key) + "=" + value);
  }
  out.libpq_url = with_userinfo_ats_escaped(base);
  for (std::size_t i = 0; i < kept.size(); ++i) out.libpq_url += (i == 0 ? "?" : "&") + kept[i];
  out.libpq_url += fragment;
  return out;
}

}  // namespace drover::app::detail
