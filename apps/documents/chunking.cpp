// chunking.cpp - overlapping chunks at paragraph and sentence boundaries.
//
// The text becomes a list of units (sentences, or pieces of an over-long sentence),
// each remembering whether it starts a paragraph. Units are packed greedily into
// chunks; a chunk closes early at a paragraph boundary once it is half full and the
// next paragraph would not fit, so chunks tend to hold whole paragraphs. The next
// chunk starts with the previous chunk's last units that fit in overlap_chars.
#include "documents/chunking.hpp"

#include <stdexcept>

namespace drover::documents {

namespace {

struct unit {
  std::string_view text;
  bool starts_paragraph = false;
};

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The longest prefix of s of at most n bytes that does not cut a UTF-8 character.
std::size_t utf8_prefix(std::string_view s, std::size_t n) {
  if (n >= s.size()) return s.size();
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n == 0 ? 1 : n;
}

// A sentence longer than max: whole words while they fit, a word longer than max cut.
void split_long(std::string_view s, std::size_t max, bool starts_paragraph, std::vector<unit>& out) {
  while (!s.empty()) {
    std::size_t cut = s.size();
    if (cut > max) {
      cut = s.rfind(' ', max);
      if (cut == std::string_view::npos || cut == 0) cut = utf8_prefix(s, max);
    }
    out.push_back({trim(s.substr(0, cut)), starts_paragraph});
    starts_paragraph = false;
    s = trim(s.substr(cut));
  }
}

void split_sentences(std::string_view para, std::size_t max, std::vector<unit>& out) {
  bool first = true;
  std::size_t start = 0;
  auto emit = [&](std::size_t end) {
    auto s = trim(para.substr(start, end - start));
    start = end;
    if (s.empty()) return;
    if (s.size() > max) {
      split_long(s, max, first, out);
    } else {
      out.push_back({s, first});
    }
    first = false;
  };
  // What may close a sentence after its mark: quotes and brackets, ASCII and CJK, and more
  // marks ("本当？！", "Really?!").
  const auto closer_at = [&](std::size_t j) -> std::size_t {
    const char c = para[j];
    if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '.' || c == '!' || c == '?') return 1;
    for (std::string_view closer : {"\u300D", "\u300F", "\uFF09", "\u201D", "\u2019", "\u3002", "\uFF01", "\uFF1F"}) {
      if (para.substr(j).starts_with(closer)) return closer.size();
    }
    return 0;
  };
  for (std::size_t i = 0; i < para.size(); ++i) {
    std::size_t mark = 0;
    bool needs_space = true;
    if (para[i] == '.' || para[i] == '!' || para[i] == '?') {
      mark = 1;
    } else {
      // The full stops of scripts that write none of ASCII's (a review found Japanese,
      // Chinese and Hindi cut at the size limit only, mid-word): 。！？ need no space
      // after them, as none is written there; । ॥ ؟ ۔ are ends whatever follows.
      for (std::string_view end : {"\u3002", "\uFF01", "\uFF1F", "\u0964", "\u0965", "\u061F", "\u06D4"}) {
        if (para.substr(i).starts_with(end)) {
          mark = end.size();
          needs_space = false;
          break;
        }
      }
    }
    if (mark == 0) continue;
    std::size_t j = i + mark;
    while (j < para.size()) {
      const auto n = closer_at(j);
      if (n == 0) break;
      j += n;
    }
    if (j == para.size() || !needs_space || is_space(para[j])) {
      emit(j);
      i = j - 1;
    }
  }
  emit(para.size());
}

std::vector<unit> units_of(std::string_view text, std::size_t max) {
  std::vector<unit> out;
  while (!text.empty()) {
    auto end = text.find("\n\n");
    auto para = trim(text.substr(0, end));
    if (!para.empty()) split_sentences(para, max, out);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return out;
}

std::size_t joined_size(const std::vector<unit>& units, std::size_t from, std::size_t to) {
  std::size_t n = 0;
  for (std::size_t i = from; i < to; ++i)
    n += (i > from ? (units[i].starts_paragraph ? 2 : 1) : 0) + units[i].text.size();
  return n;
}

std::string join(const std::vector<unit>& units, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) s += units[i].starts_paragraph ? "\n\n" : " ";
    s += units[i].text;
  }
  return s;
}

// The size of the paragraph starting at unit i (its units up to the next paragraph).
std::size_t paragraph_size(const std::vector<unit>& units, std::size_t i) {
  std::size_t end = i + 1;
  while (end < units.size() && !units[end].starts_paragraph) ++end;
  return joined_size(units, i, end);
}

}  // namespace

std::vector<std::string> split_into_chunks(std::string_view text, const chunking_options& opts) {
  if (opts.target_chars == 0 || opts.max_chars < opts.target_chars || opts.overlap_chars >= opts.target_chars) {
    throw std::invalid_argument(
        "chunking options: need 0 < target_chars <= max_chars and overlap_chars < target_chars");
  }
  auto units = units_of(text, opts.max_chars);
  std::vector<std::string> chunks;
  std::size_t begin = 0;  // units[begin, i) form the open chunk
  std::size_t fresh = 0;  // the first unit of the open chunk that no earlier chunk holds
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (i > begin) {
      std::size_t with = joined_size(units, begin, i + 1);
      std::size_t now = joined_size(units, begin, i);
      bool over = with > opts.target_chars;
      bool paragraph_break = units[i].starts_paragraph && now >= opts.target_chars / 2 &&
                             now + 2 + paragraph_size(units, i) > opts.target_chars;
      if ((over || paragraph_break) && fresh < i) {
        chunks.push_back(join(units, begin, i));
        // Overlap: the closed chunk's last units within overlap_chars, never all of its
        // new units (each chunk must move forward), and leaving room for unit i.
        std::size_t next = i;
        while (next > fresh + 1 && joined_size(units, next - 1, i) <= opts.overlap_chars) --next;
        while (next < i && joined_size(units, next, i + 1) > opts.max_chars) ++next;
        begin = next;
        fresh = i;
      }
    }
  }
  if (fresh < units.size()) chunks.push_back(join(units, begin, units.size()));
  return chunks;
}

}  // namespace drover::documents
