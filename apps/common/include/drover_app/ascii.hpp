// ascii.hpp - ASCII text helpers for header values and settings: case-blind comparison and
// trimming of optional white space. Header-only, so that the small units compiled on
// their own (tests, fuzz harnesses) need no library for them.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace drover::app {

// Lower case for ASCII letters only: header names and tokens are ASCII, and the C locale's
// tolower would be a needless dependency on the process locale.
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// Without leading and trailing spaces and tabs: HTTP's optional white space (RFC 9110,
// 5.6.3), also how list settings ("a, b") are split.
constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Without leading and trailing ASCII white space, line breaks included: for values read
// from the environment or files, which often end in a newline.
constexpr std::string_view trim_space(std::string_view s) {
  constexpr std::string_view space = " \t\r\n\v\f";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Why a setting used exactly as written (an issuer, an audience, a key prefix, a model's
// name) is refused, or empty when it is not: white space around it. A stray space made
// every token 401, or started the apps on other queues, with nothing said (a
// configuration review).
inline std::string surrounding_space_refusal(std::string_view name, std::string_view value) {
  if (trim_space(value) == value) return {};
  return std::string(name) + " begins or ends with white space ('" + std::string(value) + "'); remove it";
}

}  // namespace drover::app
