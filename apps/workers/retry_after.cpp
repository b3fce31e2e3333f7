// retry_after.cpp - see retry_after.hpp.
#include "workers/retry_after.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>

namespace drover::workers {

std::optional<std::chrono::milliseconds> retry_after_wait(std::string_view value,
                                                          std::chrono::system_clock::time_point now,
                                                          std::chrono::milliseconds longest) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // Any number of digits: a huge one is just "the longest".
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (std::chrono::seconds(seconds) >= longest) return longest;
    }
    return std::chrono::seconds(seconds);
  }
  // The HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"), the form RFC 9110 asks
  // senders to use; the obsolete forms read as nothing.
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return std::chrono::milliseconds(0);
  return std::min(std::chrono::duration_cast<std::chrono::milliseconds>(at - now), longest);
}

}  // namespace drover::workers
