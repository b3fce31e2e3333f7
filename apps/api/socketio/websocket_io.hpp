// websocket_io.hpp - the WebSocket transport's frames (websocket_io.cpp): reading, the
// single writer, closing, and the upgrade of a polling session. The handshake and the
// reader loop are in websocket_transport.cpp; the two halves of Beast's WebSocket stream
// compile in parallel (together they were the build's heaviest unit). Only this folder
// includes it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <optional>
#include <string>

#include "api/socketio/server_state.hpp"

namespace drover::api::socketio::detail {

using ws_stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

// Reads one message. Returns std::nullopt when the connection failed or closed,
// or the message was binary, which drover does not support.
boost::asio::awaitable<std::optional<std::string>> read_text(ws_stream& ws, boost::beast::flat_buffer& buffer,
                                                             boost::system::error_code& ec);

// Engine.IO's upgrade: "2probe" -> "3probe", the polling transport pauses (a
// pending GET is answered with a noop), then "5" and the WebSocket takes over.
// Returns the session, or nullptr when the probe failed; the session then stays
// on polling, as the reference leaves it.
boost::asio::awaitable<std::shared_ptr<session>> upgrade(server_state& st, std::shared_ptr<ws_stream> ws,
                                                         std::string sid);

// The single writer: sends the outbox in order, one frame per packet, and closes
// the WebSocket once the session has ended.
boost::asio::awaitable<void> write_loop(server_state& st, std::shared_ptr<ws_stream> ws, std::shared_ptr<session> s);

// The closing handshake with code 1000 (normal); a failure is ignored.
boost::asio::awaitable<void> close_normally(ws_stream& ws);

}  // namespace drover::api::socketio::detail
