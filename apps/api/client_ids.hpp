// client_ids.hpp - how long an id a client names may be (a conversation id, for one),
// shared by the routes that take one so that each accepts what the others store.
#pragma once

#include <cstddef>

namespace drover::api {

// In bytes; longer ids are refused with 400.
inline constexpr std::size_t max_id_chars = 200;

}  // namespace drover::api
