// client_ids.hpp - how long an id a client names may be (a conversation id, for one),
// shared by the routes that take one so that each accepts what the others store.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <drover_app/utf8.hpp>

namespace drover::api {

// In bytes; longer ids are refused with 400.
inline constexpr std::size_t max_id_chars = 200;

// Whether a client may name a conversation `id`: what POST /api/chat/send accepts as a
// string, 1 to max_id_chars bytes of UTF-8 and no NUL (PostgreSQL cannot store either).
// Nor "." or "..": a URL's path cannot name them (clients remove them as dot segments), so
// the conversation's history could never be read.
inline bool valid_conversation_id(std::string_view id) {
  return !id.empty() && id.size() <= max_id_chars && id.find('\0') == std::string_view::npos && app::is_utf8(id) &&
         id != "." && id != "..";
}

// The text of an id a client sent as a JSON string or integer (clients send 4242 for
// "4242": a plain queue numbers its jobs, and the chat page's conversations are numbers),
// or nothing for any other JSON. A job id is never negative, so job ids pass
// negative_allowed = false; the length and character rules are each caller's own.
inline std::optional<std::string> id_text(const boost::json::value& v, bool negative_allowed = true) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_int64() && (negative_allowed || v.get_int64() >= 0)) return std::to_string(v.get_int64());
  return std::nullopt;
}

}  // namespace drover::api
