// client_ids.hpp - how long an id a client names may be (a conversation id, for one),
// shared by the routes that take one so that each accepts what the others store.
#pragma once

#include <cstddef>
#include <string_view>

#include <drover_app/utf8.hpp>

namespace drover::api {

// In bytes; longer ids are refused with 400.
inline constexpr std::size_t max_id_chars = 200;

// Whether a client may name a conversation `id`: what POST /api/chat/send accepts as a
// string, 1 to max_id_chars bytes of UTF-8 and no NUL (PostgreSQL cannot store either).
inline bool valid_conversation_id(std::string_view id) {
  return !id.empty() && id.size() <= max_id_chars && id.find('\0') == std::string_view::npos && app::is_utf8(id);
}

}  // namespace drover::api
