// redact.cpp - URL redaction and the registered secrets that log lines are scrubbed of.
#include "drover_app/logging/redact.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "drover_app/ascii.hpp"
#include "drover_app/env.hpp"

namespace drover::app {

namespace {

std::shared_mutex secrets_mutex;
std::vector<std::string>& secrets() {
  static std::vector<std::string> list;
  return list;
}

// %XX decoded, for passwords that are percent-encoded in their URL.
std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

void add_secret(std::string value) {
  if (value.size() < 4) return;
  std::unique_lock lock(secrets_mutex);
  auto& list = secrets();
  if (std::find(list.begin(), list.end(), value) != list.end()) return;
  list.push_back(std::move(value));
  // Longest first, so that a secret containing another is masked whole.
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void add_secrets_from_env() {
  for (const char* url_var : {"REDIS_URL", "DATABASE_URL"}) {
    if (const char* v = env(url_var)) {
      // As url_password reads it (to the last '@', whatever a password's unescaped '/',
      // '?' or '#' split off), and as the user info before any query: a query value
      // holding an '@' makes the first reading span into the query.
      const std::string_view url(v);
      for (auto pw : {url_password(url), url_password(url.substr(0, url.find('?')))}) {
        add_secret(std::string(pw));
        add_secret(percent_decoded(pw));
      }
    }
  }
  // A Sentinel URL may carry the sentinels' password as a parameter (?sentinel_password=).
  if (const char* v = env("REDIS_URL")) {
    std::string_view url(v);
    constexpr std::string_view param = "sentinel_password=";
    if (auto at = url.find(param); at != std::string_view::npos) {
      auto value = url.substr(at + param.size());
      value = value.substr(0, value.find_first_of("&#"));
      add_secret(std::string(value));
      add_secret(percent_decoded(value));
    }
  }
  for (const char* var : {"REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD", "AI_API_KEY", "WEBHOOK_SECRET",
                          "USER_WEBHOOK_SECRET", "OPERATOR_WEBHOOK_SECRET", "WEBHOOK_SECRET_PREVIOUS",
                          "USER_WEBHOOK_SECRET_PREVIOUS", "OPERATOR_WEBHOOK_SECRET_PREVIOUS", "ALERT_WEBHOOK_URL",
                          "DASHBOARD_TOKEN", "AUTH_JWT_SECRET", "METRICS_TOKEN"}) {
    if (const char* v = env(var)) {
      add_secret(v);
      add_secret(std::string(trim_space(v)));  // as the apps read a token (METRICS_TOKEN, DASHBOARD_TOKEN)
    }
  }
  // DASHBOARD_USERS: name:password:role, comma-separated.
  if (const char* v = env("DASHBOARD_USERS")) {
    std::string_view rest(v);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto entry = rest.substr(0, comma);
      auto first = entry.find(':');
      auto last = entry.rfind(':');
      if (first != std::string_view::npos && last > first)
        add_secret(std::string(entry.substr(first + 1, last - first - 1)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
}

std::string scrub_secrets(std::string_view text) {
  std::string out(text);
  std::shared_lock lock(secrets_mutex);
  for (const auto& s : secrets()) {
    for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + redacted.size())) {
      out.replace(pos, s.size(), redacted);
    }
  }
  return out;
}

}  // namespace drover::app
