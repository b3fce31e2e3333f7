// server.hpp - a Socket.IO v5 server (over Engine.IO v4) for the API's Beast HTTP server.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/socketio/client_id.hpp"

namespace drover::api::socketio {

namespace detail {
class server_state;
}

// Answers an event the client emitted with an ack callback; calling it more than
// once, or after the client left, does nothing.
using ack_fn = std::function<void(boost::json::array)>;

// What an authenticator decides about one Socket.IO CONNECT.
struct auth_result {
  // Set: the client is accepted as this user.
  std::optional<std::string> user;
  // Otherwise, why not: the client gets CONNECT_ERROR {"message": reason}, which
  // socket.io-client reports as connect_error with err.message == reason.
  std::string reason;
  // When the accepted identity lapses (a token's expiry): the session is closed then, and
  // a reconnect with the same token is refused.
  std::optional<std::chrono::system_clock::time_point> valid_until = {};
  // Asked again while the session lasts (when the client sends an event or answers a
  // ping, at most every `identity_recheck` of the options): false ends the session, as a
  // request with the same credentials would now be refused (its token's key revoked
  // from a JWKS file). Unset: the identity holds until valid_until.
  std::function<bool()> still_valid = {};

  static auth_result accept(std::string user,
                            std::optional<std::chrono::system_clock::time_point> valid_until = std::nullopt,
                            std::function<bool()> still_valid = {}) {
    return {std::move(user), {}, valid_until, std::move(still_valid)};
  }
  static auth_result refuse(std::string reason) { return {std::nullopt, std::move(reason)}; }
};

// Decides who a client is when it joins "/". `auth` is the CONNECT packet's data
// (socket.io-client's `auth` option, e.g. {"token":"..."}; null when it sent
// none); `authorization` is the Authorization header of the request that opened
// the Engine.IO session (the polling handshake or the WebSocket upgrade), empty
// when there was none. It runs on the server's thread and must not block; an
// exception counts as a refusal ("Authentication failed") and is logged.
using authenticator = std::function<auth_result(const boost::json::value& auth, std::string_view authorization)>;

// Every limit below protects the server from one client; over a limit that client
// is refused or dropped and everyone else is served as before. The defaults hold
// on a 2-core machine.
struct options {
  // How often the server pings each client; engine.io's default.
  std::chrono::milliseconds ping_interval{25000};
  // How long a client has to answer a ping before its session is closed.
  std::chrono::milliseconds ping_timeout{20000};
  // How long an Engine.IO session may stay without joining the default namespace.
  // socket.io's connectTimeout is 45 s, but a session counts against max_sessions and
  // max_sessions_per_address from its handshake, before any authentication, so one that
  // never joins must not be cheap to hold. socket.io-client sends its CONNECT right
  // after the handshake; a refused CONNECT does not extend the deadline.
  std::chrono::milliseconds connect_timeout{10000};
  // How often, at most, a connected client's identity is asked again
  // (auth_result::still_valid): each asking checks a token's signature, which a client
  // sending events must not be able to make it do at its own rate.
  std::chrono::milliseconds identity_recheck{5000};
  // Largest POST body and WebSocket message a client may send (maxHttpBufferSize).
  // Also announced to the client, which splits its polling POSTs to fit.
  std::size_t max_payload = 1'000'000;
  // Bytes that may wait for one client before it counts as too slow and is dropped
  // ("forced close"): its queue is freed at once, its connection closed, and the
  // client reconnects. A WebSocket may hold one more message in the write in flight.
  std::size_t max_buffered = 1024 * 1024;
  // Engine.IO sessions open at once; a handshake beyond it gets 503 with
  // {"code":4,"message":"Server full"} (engine.io's allowRequest refusal, see
  // engineio_error.hpp). Idle sessions cost a few kilobytes each.
  std::size_t max_sessions = 10'000;
  // Engine.IO sessions one client address may have open at once, polling and WebSocket
  // alike, joined or not; a handshake beyond it gets 429 with
  // {"code":4,"message":"Too many sessions from your address"} and Retry-After, while
  // other addresses are served. Without it one address could take all max_sessions
  // with bare handshakes and lock every user out. The address is the one the caller
  // passes to handle_polling/run_websocket.
  std::size_t max_sessions_per_address = 100;
  // When set, every CONNECT to "/" goes through it, and a user may have at most
  // max_sessions_per_user clients connected at once (beyond it: CONNECT_ERROR
  // "Too many connections for this user"). Unset: everyone is accepted, with no user.
  authenticator authenticate;
  std::size_t max_sessions_per_user = 20;
  // Rooms one client may be in, and the longest room name in bytes; join()
  // refuses beyond. They bound what a flood of join events can cost.
  std::size_t max_rooms_per_client = 100;
  std::size_t max_room_name = 256;
  // Web origins allowed besides the server's own, e.g. "https://app.example.com";
  // "*" allows any. Requests from other browsers' origins get 403 (see cors.hpp).
  std::vector<std::string> cors_origins;
  // The event that answers an event no handler takes when it came without an ack (with
  // one, the ack is {status: 400, error}): [{event, status: 400, error}]. Empty: none.
  // The application names the event its other refusals come as, so that a mistyped
  // name is told as they are, not met with silence.
  std::string unknown_event_refusal;
};

// The Socket.IO endpoint under /socket.io/. The HTTP server hands it requests; the
// application registers hooks and pushes events to clients and rooms.
//
// Lifecycle of a client:
//  1. Handshake: a polling GET without sid (handle_polling) or a WebSocket without
//     sid (run_websocket) opens an Engine.IO session.
//  2. socket.io-client sends CONNECT for "/"; the authenticator, if any, accepts
//     it as a user or refuses it with CONNECT_ERROR {"message": reason} (the
//     session stays open, and the client may try again); on_connect runs with its
//     client_id. Other namespaces are refused with CONNECT_ERROR "Invalid namespace".
//  3. A polling client usually upgrades: it opens a WebSocket with its sid, probes,
//     and from then on everything flows over run_websocket.
//  4. Events from the client reach the handler registered with on(); the
//     application emits to the client or its rooms at any time.
//  5. It ends when the client disconnects, its transport closes, it misses a pong,
//     it sends a malformed packet, or the server disconnects it; on_disconnect runs
//     once, after it has left all its rooms.
//
// Thread safety: none. Every member, and every coroutine it returns, must run on
// one thread: the API's single-threaded io_context. Hooks run on that thread too,
// from inside handle_polling/run_websocket and the server's timers, and they may
// call any member (emit, join, disconnect...).
//
// Lifetime: the server must outlive the coroutines it returns. At shutdown call
// close_all(); pending polls then answer and WebSockets close within moments.
class server {
 public:
  explicit server(boost::asio::any_io_executor ex, options o = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // True for targets under /socket.io/; the rest of the request (EIO=4, transport,
  // sid) is checked by the handlers, which answer Engine.IO's JSON errors.
  static bool handles(std::string_view target);

  // The body limit to give the HTTP parser for /socket.io/ requests. A larger
  // POST should be answered 413, as handle_polling does itself.
  std::size_t body_limit() const;

  // Both transports take the client's address (the connection's peer, or the client a
  // trusted proxy names): a handshake counts against max_sessions_per_address for it.

  // Long-polling transport, for a request that is not a WebSocket upgrade.
  // A GET returns when packets are queued for the client (at the latest at the
  // next ping, so within ping_interval), a POST as soon as its packets are
  // handled, an OPTIONS preflight at once. Never throws for a bad request: it
  // returns Engine.IO's error response (400 with {"code":..,"message":..}, 403 for
  // a forbidden Origin, 413 for a body over max_payload, 503/429 for a handshake over
  // max_sessions/max_sessions_per_address).
  boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> handle_polling(
      boost::beast::http::request<boost::beast::http::string_body> req, std::string client_address);

  // WebSocket transport, for a request for which websocket::is_upgrade(req) is
  // true: a fresh session (no sid), or the upgrade of a polling session (sid plus
  // the "2probe"/"3probe"/"5" exchange). Takes the connection over and returns
  // when its session has ended; a refused request is answered with Engine.IO's
  // error response and the connection closed. Ignores the stream's expiry: the
  // WebSocket's own timeouts apply (idle for ping_interval + ping_timeout).
  boost::asio::awaitable<void> run_websocket(boost::beast::tcp_stream stream,
                                             boost::beast::http::request<boost::beast::http::string_body> req,
                                             std::string client_address);

  // Application hooks; one handler per event name (a second one replaces the first).
  // An exception from a hook is logged and otherwise ignored.
  void on_connect(std::function<void(client_id)> fn);
  void on_disconnect(std::function<void(client_id, std::string reason)> fn);
  void on(std::string event, std::function<void(client_id, boost::json::array args, std::optional<ack_fn> ack)> fn);

  // Room membership. join returns true when the client is in the room afterwards;
  // false, and nothing changes, for a client that is not connected, a room name
  // longer than max_room_name, or a client already in max_rooms_per_client rooms.
  bool join(const client_id& client, const std::string& room);
  // Whether join(client, room) would be true, even after `pending` other joins of new
  // rooms went first; changes nothing. Lets the application refuse a join before it
  // does anything costly or lasting for it.
  bool can_join(const client_id& client, const std::string& room, std::size_t pending = 0) const;
  void leave(const client_id& client, const std::string& room);
  // The clients in `room` now (a copy: the caller may make them leave as it walks it).
  std::vector<client_id> members(const std::string& room) const;
  // When `client` last joined `room` (wall clock, ms); nullopt when it is not in it.
  std::optional<std::int64_t> joined_at(const client_id& client, const std::string& room) const;

  // Sends an event. Returns false when the client is not connected; emit_to_room
  // returns how many clients it was queued for.
  bool emit(const client_id& client, std::string_view event, boost::json::array args);
  std::size_t emit_to_room(const std::string& room, std::string_view event, boost::json::array args);

  // Sends DISCONNECT and forgets the client (reason "server namespace disconnect").
  // socket.io-client then closes and does not reconnect by itself.
  bool disconnect(const client_id& client);
  // Closes the client's connection without a DISCONNECT (reason "forced close"),
  // as a network failure would; socket.io-client reconnects.
  bool drop(const client_id& client);

  // The user the authenticator accepted the client as; std::nullopt for a client
  // that is not connected or was accepted with no authenticator set.
  std::optional<std::string> user_of(const client_id& client) const;

  // Clients connected to "/".
  std::size_t connection_count() const;
  // Engine.IO sessions open, connected to "/" or not.
  std::size_t session_count() const;

  // Closes every session (reason "server shutting down"); clients see the
  // transport close and will try to reconnect, as with the reference's io.close().
  void close_all();

 private:
  std::unique_ptr<detail::server_state> state_;
};

}  // namespace drover::api::socketio
