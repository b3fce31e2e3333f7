// text_cleanup.cpp - whitespace normalization shared by the extractors.
#include "documents/text_cleanup.hpp"

namespace drover::documents {

namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\v'; }
bool is_control(unsigned char c) { return (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f; }

void trim_back(std::string& s, bool newlines) {
  while (!s.empty() && (s.back() == ' ' || (newlines && s.back() == '\n'))) s.pop_back();
}

}  // namespace

std::string clean_inline(std::string_view s) {
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

std::string clean_block(std::string_view s) {
  std::string out;
  int newlines = 0;  // line breaks since the last visible character
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      c = '\n';
    }
    if (c == '\n') {
      trim_back(out, false);
      ++newlines;
      continue;
    }
    if (is_space(c) || is_control(c)) {
      if (newlines == 0 && !out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    if (newlines > 0 && !out.empty()) out += newlines >= 2 ? "\n\n" : "\n";
    newlines = 0;
    out += static_cast<char>(c);
  }
  trim_back(out, true);
  return out;
}

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

}  // namespace drover::documents
