// utf8.hpp - checking that text from outside is UTF-8 before it reaches a database that
// stores text (PostgreSQL refuses other bytes) or a JSON reply, and cutting it on a
// character's boundary. Header-only, as ascii.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace drover::app {

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms
// and surrogates included).
constexpr std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  if (n == 2 && b < 0xC2) return 0;
  auto b1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
  if (n == 3 && ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 >= 0xA0))) return 0;
  if (n == 4 && ((b == 0xF0 && b1 < 0x90) || b > 0xF4 || (b == 0xF4 && b1 >= 0x90))) return 0;
  return n;
}

// The code point of the valid sequence of `n` bytes (utf8_sequence's answer) at s[i].
constexpr char32_t utf8_code_point(std::string_view s, std::size_t i, std::size_t n) {
  auto b = static_cast<unsigned char>(s[i]);
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Characters that change how the text around them shows without showing themselves:
// controls (C1's U+0085 is a line break), the line and paragraph separators, the
// bidirectional marks and overrides (U+202E shows "report\u202Etxt.exe" as
// "reportexe.txt"), and every character Unicode says a renderer may show as nothing
// (Default_Ignorable_Code_Point: the soft hyphen, joiners, the Mongolian vowel separator,
// the Hangul fillers, variation selectors, tags; "alice\u180E" shows as "alice"). Text
// shown to people as a name (a file's, a user's) must hold none.
constexpr bool invisible(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x34F || c == 0x61C ||
         (c >= 0x115F && c <= 0x1160) || (c >= 0x17B4 && c <= 0x17B5) || (c >= 0x180B && c <= 0x180F) ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0x3164 ||
         (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFFB) ||
         (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

// Joiners and variation selectors build what one sees after a character of another
// script: an emoji sequence ("\u2764\uFE0F", a rainbow flag joined with U+200D), a
// variant of a CJK ideograph (U+845B U+E0100), a word of a script that joins. After
// ASCII, or at the start, they change nothing one sees ("alice\uFE0F" shows as "alice").
constexpr bool joins_or_varies(char32_t c) {
  return c == 0x200C || c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
}

// invisible(c), where `previous` is the last code point before it that is neither a
// joiner nor a variation selector (0 at the start): a joiner or variation selector after
// a visible character beyond ASCII is part of what shows.
constexpr bool invisible_after(char32_t c, char32_t previous) {
  if (joins_or_varies(c) && previous >= 0x80 && !invisible(previous)) return false;
  return invisible(c);
}

// invisible_after over a text read code point by code point: shows(c) says whether the
// next code point `c` shows, remembering the last one that is neither a joiner nor a
// variation selector, shown or not (a joiner after a hidden override stays hidden).
class shown_code_points {
 public:
  constexpr bool shows(char32_t c) {
    const bool hidden = invisible_after(c, previous_);
    if (!joins_or_varies(c)) previous_ = c;
    return !hidden;
  }
  // After what is no code point (a byte that is not UTF-8), as at the start.
  constexpr void restart() { previous_ = 0; }

 private:
  char32_t previous_ = 0;
};

constexpr bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// The longest start of the UTF-8 text `s` of at most `max_bytes` that ends on a
// character's end.
constexpr std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  std::size_t end = 0;
  while (end < s.size()) {
    auto n = utf8_sequence(s, end);
    if (n == 0 || end + n > max_bytes) break;
    end += n;
  }
  return s.substr(0, end);
}

// `s` as UTF-8: each byte that starts no valid sequence becomes U+FFFD, the replacement
// character (text from outside cut at a byte count, or not UTF-8 at all, before it goes
// into JSON that others parse).
inline std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// `s` with each NUL as U+FFFD, the replacement character: PostgreSQL stores no NUL in
// text or jsonb, and text from outside (a model's answer) may hold one.
inline std::string without_nul(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace drover::app
