// text_cleanup.hpp - the rules every extractor applies to its output: whitespace, and
// well-formed UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace drover::documents {

// Well-formed UTF-8 (RFC 3629): each byte that does not begin a well-formed sequence
// (a stray or truncated byte, an overlong form, a surrogate, a code point past
// U+10FFFF) becomes U+FFFD. PostgreSQL refuses text with any of them, and JSON
// replies would carry them on. clean_inline and clean_block apply it first.
std::string valid_utf8(std::string_view s);

// `s` with its ASCII letters in lower case (media types, file names, tag names).
std::string ascii_lower(std::string_view s);

// One line: every run of whitespace (and control characters) becomes one space;
// trimmed. For titles.
std::string clean_inline(std::string_view s);

// The most bytes a document's title keeps, as a file name's: a title is sent whole with
// every page of the document's text and with each search hit, and a PDF's /Title or an
// HTML <title> may be megabytes long (a security review's 15 MB title made each read of
// the document a 15 MB reply).
inline constexpr std::size_t max_title_bytes = 255;

// `title` cut to max_title_bytes at a character's boundary (it is valid UTF-8 already).
std::string cut_title(std::string title);

// Running text: CR LF and CR become LF, control characters (form feeds between PDF
// pages, NULs) and runs of spaces become one space, lines are trimmed, and two or
// more line breaks in a row (a blank line) become exactly one blank line, the
// paragraph break. Trimmed.
std::string clean_block(std::string_view s);

// Preformatted text (an HTML <pre>, a Markdown code block): as clean_block, but each line
// keeps its indentation and its runs of spaces and tabs (code without them loses its
// meaning: a review's Python came out flat). Spaces at line ends, blank lines at the start
// and the end, and more than one blank line in a row go; other control characters become
// spaces.
std::string clean_preformatted(std::string_view s);

// Words: runs of characters that are not ASCII whitespace.
std::int64_t count_words(std::string_view s);

}  // namespace drover::documents
