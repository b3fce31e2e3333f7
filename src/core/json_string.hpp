// json_string.hpp - a string written as a JSON string literal, with either of the two sets
// of escapes drover writes: its own JSON's, and Lua cjson's (what BullMQ's scripts store).
#pragma once

#include <string>
#include <string_view>

namespace drover::detail {

enum class json_escapes {
  standard,  // '"', '\\', the control characters; a byte that starts no UTF-8 character as U+FFFD
  cjson,     // and '/' and DEL too, as Redis's cjson escapes them; every other byte as it is
};

void append_json_string(std::string& out, std::string_view s, json_escapes escapes);

}  // namespace drover::detail
