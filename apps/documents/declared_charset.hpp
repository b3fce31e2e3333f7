// declared_charset.hpp - a text upload in the charset its Content-Type declares, read as
// UTF-8.
//
// A Shift_JIS or windows-1256 text sent as "text/plain; charset=Shift_JIS" was read as
// UTF-8 and stored "ready" as replacement characters, its text lost without an error (an
// i18n review). The API decodes it when it is uploaded and stores it as UTF-8 behind a
// byte order mark, which the extraction reads as it reads any mark (and which outranks
// an HTML page's own meta charset, as the declaration in the header does in browsers).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drover::documents {

// The charset parameter of a Content-Type ("text/plain; charset=\"Shift_JIS\"" ->
// "Shift_JIS"), or std::nullopt.
std::optional<std::string> charset_parameter(std::string_view content_type);

// Whether text declared as `charset` needs decoding: anything but UTF-8 and US-ASCII.
bool needs_decoding(std::string_view charset);

// `bytes` decoded from `charset` into UTF-8, behind a UTF-8 byte order mark. Throws
// std::invalid_argument naming the charset when it is unknown, or the byte where the
// text stops being that charset.
std::string utf8_from_declared_charset(std::string_view bytes, std::string_view charset);

}  // namespace drover::documents
