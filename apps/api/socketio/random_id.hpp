// random_id.hpp - unguessable ids for Engine.IO sessions and Socket.IO clients.
#pragma once

#include <string>

namespace drover::api::socketio {

// Returns 20 URL-safe base64 characters from 15 random bytes, the shape of the
// reference's base64id. The Engine.IO sid is the only credential a polling
// request carries, so the bytes come from the OS (std::random_device reads
// getrandom on Linux), not from a seeded generator.
std::string random_id();

}  // namespace drover::api::socketio
