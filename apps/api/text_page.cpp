// text_page.cpp - paging a document's text by the size of its JSON.
#include "api/text_page.hpp"

#include <fmt/format.h>

#include <charconv>

#include "api/http_error.hpp"
#include <drover_app/utf8.hpp>

namespace drover::api {

namespace {

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The bytes `c` takes in a JSON string: an escape for quotes, backslashes and control
// characters (\n is two, \u0001 six; six is the bound for all of them).
std::size_t json_cost(char c) {
  const auto u = static_cast<unsigned char>(c);
  // Boost.JSON writes these five as two-character escapes (\n): counted as six, a page of
  // lines held much less than its documented size.
  if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') return 2;
  return u < 0x20 ? 6 : 1;
}

// `offset`, or the start of the next character when it falls inside a well-formed one.
// Elsewhere (text that is not UTF-8) it stays, so that no byte is skipped.
std::size_t character_start(std::string_view text, std::size_t offset) {
  if (offset >= text.size() || !continuation(text[offset])) return offset;
  for (std::size_t back = 1; back <= 3 && back <= offset; ++back) {
    if (continuation(text[offset - back])) continue;
    const std::size_t lead = offset - back;
    const std::size_t end = lead + app::utf8_sequence(text, lead);
    return end > offset ? end : offset;
  }
  return offset;
}

}  // namespace

std::size_t text_offset_of(const std::optional<std::string>& param, std::size_t size) {
  if (!param) return 0;
  std::size_t value = 0;
  const auto* end = param->data() + param->size();
  auto [at, ec] = std::from_chars(param->data(), end, value);
  if (ec != std::errc() || at != end || param->empty()) {
    throw http_error(httpd::http::status::bad_request,
                     "'textOffset' must be a byte offset: a whole number from 0 to the text's length");
  }
  if (value > size) {
    throw http_error(httpd::http::status::bad_request,
                     fmt::format("'textOffset' must be a byte offset from 0 to {}, the text's length", size));
  }
  return value;
}

text_page page_of_text(std::string_view text, std::size_t offset, std::size_t max_json_bytes) {
  offset = character_start(text, offset);
  std::size_t end = offset;
  std::size_t cost = 0;
  while (end < text.size()) {
    // One whole character at a time. A byte that starts none is one step, and written as
    // U+FFFD (three bytes), as serialize_json writes it.
    std::size_t length = app::utf8_sequence(text, end);
    std::size_t char_cost = length == 1 ? json_cost(text[end]) : length;
    if (length == 0) {
      length = 1;
      char_cost = 3;
    }
    if (end > offset && cost + char_cost > max_json_bytes) break;
    cost += char_cost;
    end += length;
  }
  text_page page;
  page.text = text.substr(offset, end - offset);
  page.offset = offset;
  if (end < text.size()) page.next_offset = end;
  return page;
}

}  // namespace drover::api
