// client_mistakes_log.hpp - the one log of Socket.IO clients' protocol mistakes.
#pragma once

#include <chrono>

#include <drover_app/logging/log_throttle.hpp>

namespace drover::api::socketio {

// A malformed or unexpected packet ends only its session, but anyone can send one without
// a token, thousands a second: a line for each let one client write 3,300 lines a second
// (a security review). At most one line per 5 s, saying how many it stands for.
inline app::log_throttle client_mistakes_log{std::chrono::seconds(5)};

}  // namespace drover::api::socketio
