// text_cleanup.hpp - the whitespace rules every extractor applies to its output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace drover::documents {

// One line: every run of whitespace (and control characters) becomes one space;
// trimmed. For titles.
std::string clean_inline(std::string_view s);

// Running text: CR LF and CR become LF, control characters (form feeds between PDF
// pages, NULs) and runs of spaces become one space, lines are trimmed, and two or
// more line breaks in a row (a blank line) become exactly one blank line, the
// paragraph break. Trimmed.
std::string clean_block(std::string_view s);

// Words: runs of characters that are not ASCII whitespace.
std::int64_t count_words(std::string_view s);

}  // namespace drover::documents
