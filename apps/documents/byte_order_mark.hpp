// byte_order_mark.hpp - text that says its encoding with a byte order mark (Windows
// Notepad's "Unicode" is UTF-16LE with one), read as UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drover::documents {

// When `bytes` begin with a byte order mark (UTF-8, UTF-16LE or UTF-16BE): the text after
// it in UTF-8, each unreadable code unit (a lone surrogate, an odd last byte) as U+FFFD.
// std::nullopt without one. A mark outranks what the text says of itself (an HTML meta
// charset), as in browsers: a program that wrote the mark knew the encoding it wrote.
std::optional<std::string> utf8_from_byte_order_mark(std::string_view bytes);

// Whether `bytes` begin with one of those marks (which then outranks a declared charset).
bool has_byte_order_mark(std::string_view bytes);

}  // namespace drover::documents
