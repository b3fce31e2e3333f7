// client_id.hpp - how the application names a connected Socket.IO client.
#pragma once

#include <string>

namespace drover::api::socketio {

// The client's Socket.IO id: what socket.io-client shows as `socket.id`, so logs
// on both sides agree. It is not the Engine.IO session id, which stays secret
// because it authorizes polling requests (as in the reference server).
using client_id = std::string;

}  // namespace drover::api::socketio
