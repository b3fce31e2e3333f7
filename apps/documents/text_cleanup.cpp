// text_cleanup.cpp - whitespace normalization and UTF-8 repair shared by the extractors.
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\v'; }
bool is_control(unsigned char c) { return (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f; }

void trim_back(std::string& s, bool newlines) {
  while (!s.empty() && (s.back() == ' ' || (newlines && s.back() == '\n'))) s.pop_back();
}

// The length of the well-formed sequence at the start of s, or 0 (Unicode's table 3-7
// of well-formed byte sequences: the second byte's range depends on the first).
std::size_t sequence_length(std::string_view s) {
  auto at = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = at(0);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned char low = 0x80, high = 0xbf;  // the second byte's range
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) low = 0xa0;   // overlong below U+0800
    if (c == 0xed) high = 0x9f;  // surrogates U+D800..U+DFFF
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) low = 0x90;   // overlong below U+10000
    if (c == 0xf4) high = 0x8f;  // past U+10FFFF
  } else {
    return 0;  // a continuation byte, an overlong lead (C0, C1), or F5..FF
  }
  if (s.size() < len || at(1) < low || at(1) > high) return 0;
  for (std::size_t i = 2; i < len; ++i) {
    if (at(i) < 0x80 || at(i) > 0xbf) return 0;
  }
  return len;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const std::size_t len = sequence_length(s);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      s.remove_prefix(1);
    } else {
      out.append(s.substr(0, len));
      s.remove_prefix(len);
    }
  }
  return out;
}

std::string clean_inline(std::string_view text) {
  const std::string valid = valid_utf8(text);
  const std::string_view s = valid;
  std::string out;
  for (unsigned char c : s) {
    if (is_space(c) || is_control(c) || c == '\n' || c == '\r' || c == '\f') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(c);
    }
  }
  trim_back(out, false);
  return out;
}

std::string cut_title(std::string title) {
  if (title.size() <= max_title_bytes) return title;
  std::size_t end = max_title_bytes;
  while (end > 0 && (static_cast<unsigned char>(title[end]) & 0xC0) == 0x80) --end;  // a continuation byte
  title.resize(end);
  trim_back(title, false);
  return title;
}

namespace {

// clean_block and clean_preformatted: one walk, told whether a line keeps its spaces.
std::string cleaned(std::string_view text, bool keep_spaces) {
  const std::string valid = valid_utf8(text);
  const std::string_view s = valid;
  std::string out;
  int newlines = 0;  // line breaks since the last visible character
  std::string gap;   // what the spaces since the last visible character on this line become
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      c = '\n';
    }
    if (c == '\n') {
      gap.clear();
      ++newlines;
      continue;
    }
    if (is_space(c) || is_control(c)) {
      if (keep_spaces) {
        gap += c == '\t' ? '\t' : ' ';
      } else if (newlines == 0 && !out.empty() && gap.empty()) {
        gap.push_back(' ');  // one, for a run (not `gap = " "`: GCC 12 warns falsely of an overlap)
      }
      continue;
    }
    if (newlines > 0 && !out.empty()) out += newlines >= 2 ? "\n\n" : "\n";
    newlines = 0;
    out += gap;
    gap.clear();
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string clean_block(std::string_view text) { return cleaned(text, false); }

std::string clean_preformatted(std::string_view text) { return cleaned(text, true); }

std::int64_t count_words(std::string_view s) {
  std::int64_t words = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace drover::documents
