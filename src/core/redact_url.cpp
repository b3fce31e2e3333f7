// redact_url.cpp - URLs with their secrets masked, for messages that echo them.
#include "drover/redact_url.hpp"

#include <algorithm>
#include <cctype>

namespace drover {

namespace {

bool secret_like(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"password", "passwd", "pass", "pwd", "token", "secret", "key", "auth", "sig"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// What follows the first ':' from `from` up to the '@' at `at`, when there is such a ':'.
// The fallback for user info a password's unescaped '/', '?' or '#' breaks up: it may
// mask more than the password, never less.
std::string_view after_colon(std::string_view url, std::size_t from, std::size_t at) {
  auto colon = url.find(':', from);
  if (colon == std::string_view::npos || colon > at) return {};
  return url.substr(colon + 1, at - colon - 1);
}

std::string_view url_password(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    // A mistyped URL, whose password must not be echoed either: "postgres//u:pw@h/db",
    // "redis:/u:pw@h", "u:pw@h". The user info is what precedes the last '@' (before any
    // query), from the last '/' before it.
    auto at = url.substr(0, url.find_first_of("?#")).rfind('@');
    if (at == std::string_view::npos) return {};
    auto slash = url.substr(0, at).rfind('/');
    auto userinfo = url.substr(0, at).substr(slash == std::string_view::npos ? 0 : slash + 1);
    auto colon = userinfo.find(':');
    if (colon != std::string_view::npos) return userinfo.substr(colon + 1);
    // "u:pa/ss@h": the '/' was the password's.
    auto slashes = url.substr(0, at).find("//");
    return after_colon(url, slashes == std::string_view::npos ? 0 : slashes + 2, at);
  }
  auto authority_start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority_start);
  auto authority =
      url.substr(authority_start, authority_end == std::string_view::npos ? url.npos : authority_end - authority_start);
  auto at = authority.rfind('@');
  const auto last_at = url.rfind('@');
  const bool at_after_authority =
      authority_end != std::string_view::npos && last_at != std::string_view::npos && last_at > authority_end;
  if (at == std::string_view::npos || at_after_authority) {
    // "redis://:ab#cd@host", "redis://:ab/cd@host", "redis://u:a@b/c@host": a '/', '?'
    // or '#' of the password's ended the authority before its last '@' (only the part
    // before the first '@' was masked).
    if (last_at == std::string_view::npos || last_at < authority_start) return {};
    return after_colon(url, authority_start, last_at);
  }
  auto userinfo = authority.substr(0, at);
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) return {};
  return userinfo.substr(colon + 1);
}

std::string redact_url(std::string_view url) {
  // Query parameters named like secrets first (?password=x&token=y): an '@' in one of
  // them was taken for the end of the user info, and its tail printed (a diff review).
  std::string out(url);
  auto q = out.find('?');
  while (q != std::string::npos) {
    auto name_start = q + 1;
    auto eq = out.find('=', name_start);
    auto amp = out.find_first_of("&#", name_start);
    if (eq == std::string::npos || (amp != std::string::npos && amp < eq)) {
      q = amp != std::string::npos && out[amp] == '&' ? amp : std::string::npos;
      continue;
    }
    auto value_end = out.find_first_of("&#", eq + 1);
    auto value_len = (value_end == std::string::npos ? out.size() : value_end) - (eq + 1);
    if (value_len > 0 && secret_like(std::string_view(out).substr(name_start, eq - name_start))) {
      out.replace(eq + 1, value_len, redacted);
      value_end = eq + 1 + redacted.size();
      if (value_end >= out.size()) value_end = std::string::npos;
    }
    q = value_end != std::string::npos && out[value_end] == '&' ? value_end : std::string::npos;
  }
  const std::string_view masked(out);
  auto pw = url_password(masked);
  if (!pw.empty()) {
    auto pos = static_cast<std::size_t>(pw.data() - masked.data());
    out.replace(pos, pw.size(), redacted);
  }
  return out;
}

}  // namespace drover
