// text_page.hpp - one page of a document's text, bounded in the bytes of its JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace drover::api {

// GET /api/documents/:id answers the text a page at a time: a reply is held in memory
// until a slow client has read it, on as many connections as it opens, and a text is up
// to DOCUMENT_MAX_BYTES (twice that as JSON when it is all quotes or backslashes).
struct text_limits {
  static constexpr std::size_t max_json_bytes = 1024 * 1024;
};

struct text_page {
  std::string_view text;                   // the page: whole UTF-8 characters
  std::size_t offset = 0;                  // where it starts in the whole text, in bytes
  std::optional<std::size_t> next_offset;  // where the next page starts; none after the last
};

// The offset from ?textOffset= (a byte offset, at most `size`); 0 when absent; throws
// http_error 400 otherwise.
std::size_t text_offset_of(const std::optional<std::string>& param, std::size_t size);

// The page of `text` from `offset` (moved on to the next character's start when it falls
// inside one) whose JSON string takes at most `max_json_bytes` (quotes aside). A page
// holds at least one character, so that paging moves on, and ends on a character's end.
text_page page_of_text(std::string_view text, std::size_t offset,
                       std::size_t max_json_bytes = text_limits::max_json_bytes);

}  // namespace drover::api
