// declared_charset.cpp - see declared_charset.hpp; iconv (glibc) does the decoding.
#include "documents/declared_charset.hpp"

#include <fmt/format.h>
#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>

#include "documents/text_cleanup.hpp"

namespace drover::documents {

std::optional<std::string> charset_parameter(std::string_view content_type) {
  const auto lower = ascii_lower(content_type);  // the same length: positions hold in both
  for (auto at = lower.find(';'); at != std::string::npos;) {
    auto start = at + 1;
    const auto end = std::min(lower.find(';', start), lower.size());
    while (start < end && (lower[start] == ' ' || lower[start] == '\t')) ++start;
    if (lower.compare(start, 8, "charset=") == 0) {
      auto value = content_type.substr(start + 8, end - start - 8);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      if (value.empty()) return std::nullopt;
      return std::string(value);
    }
    at = end < lower.size() ? end : std::string::npos;
  }
  return std::nullopt;
}

bool needs_decoding(std::string_view charset) {
  const auto name = ascii_lower(charset);
  return name != "utf-8" && name != "utf8" && name != "us-ascii" && name != "ascii";
}

std::string utf8_from_declared_charset(std::string_view bytes, std::string_view charset) {
  const std::string name(charset);
  const iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    throw std::invalid_argument(fmt::format("the charset '{}' is not one this server can read", name));
  }
  std::unique_ptr<void, int (*)(iconv_t)> closing(cd, &iconv_close);
  std::string out = "\xEF\xBB\xBF";
  std::size_t written = out.size();
  out.resize(written + bytes.size() * 2 + 16);
  auto* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  // The text, then the shift back to the initial state of a stateful charset (ISO-2022-JP).
  for (bool flushing = false;;) {
    char* to = out.data() + written;
    std::size_t to_left = out.size() - written;
    const auto result = flushing ? iconv(cd, nullptr, nullptr, &to, &to_left) : iconv(cd, &in, &in_left, &to, &to_left);
    written = out.size() - to_left;
    if (result == static_cast<std::size_t>(-1)) {
      if (errno != E2BIG) {
        throw std::invalid_argument(fmt::format("the text is not {} from byte {} on", name, bytes.size() - in_left));
      }
      out.resize(out.size() * 2);
      continue;
    }
    if (flushing) break;
    flushing = true;
  }
  out.resize(written);
  return out;
}

}  // namespace drover::documents
