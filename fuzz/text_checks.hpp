// text_checks.hpp - what every extractor promises about its output, for the document harnesses.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <string_view>

#include "documents/extracted_text.hpp"
#include "documents/text_cleanup.hpp"

namespace drover::fuzz {

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): the
// text goes into PostgreSQL, which refuses anything else.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    const unsigned min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// Text as the extractors' cleaning leaves it: cleaning it again, keeping each line's
// spaces as preformatted text does, changes nothing (running text has no runs of spaces to
// lose, and a <pre>'s indentation is kept on purpose); a title as clean_inline leaves it;
// both valid UTF-8.
inline void check_extracted(const documents::extracted_text& out) {
  if (!valid_utf8(out.text) || documents::clean_preformatted(out.text) != out.text) std::abort();
  if (out.title &&
      (out.title->empty() || !valid_utf8(*out.title) || documents::clean_inline(*out.title) != *out.title)) {
    std::abort();
  }
}

}  // namespace drover::fuzz
