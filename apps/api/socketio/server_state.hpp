// server_state.hpp - what the transports and the public server share: the sessions,
// the connected clients, their rooms and the application's hooks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/socketio/cors.hpp"
#include "api/socketio/engineio_packet.hpp"
#include "api/socketio/room_registry.hpp"
#include "api/socketio/server.hpp"
#include "api/socketio/session.hpp"

namespace drover::api::socketio::detail {

// The server's state. Its members are public because only this folder sees it. Single
// thread, like the server.
class server_state {
 public:
  using event_handler = std::function<void(client_id, boost::json::array, std::optional<ack_fn>)>;

  server_state(boost::asio::any_io_executor ex, options o);
  // Closes what is left without calling hooks: the application may be half gone.
  ~server_state();

  // Creates a session, registers it, queues the open packet and starts its timers.
  // `authorization` is the opening request's Authorization header (may be empty);
  // `address` the client's, which the session counts against until it ends.
  std::shared_ptr<session> open_session(transport_kind transport, std::string_view authorization, std::string address);
  // Why a handshake from `address` is refused now (503 when max_sessions are open, 429
  // when the address has max_sessions_per_address), or std::nullopt.
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> refuse_handshake(
      const std::string& address, unsigned version, bool keep_alive) const;
  // Returns nullptr for an unknown (or already closed) sid.
  std::shared_ptr<session> find_session(const std::string& sid) const;
  std::shared_ptr<session> find_client(const client_id& client) const;

  // Ends a session: closes it (its transport says goodbye), forgets it, and
  // disconnects its client with `reason`. Idempotent.
  void close_session(const std::shared_ptr<session>& s, std::string_view reason);
  // Whether the connected client's identity still holds (auth_result::still_valid, asked
  // at most every opts.identity_recheck); when not, the session is closed and false.
  bool identity_holds(const std::shared_ptr<session>& s);
  // Forgets the session's Socket.IO client: rooms first, then on_disconnect.
  void disconnect_client(session& s, std::string_view reason);

  // What a packet from the client does (packet_dispatch.cpp).
  void on_engine_packet(const std::shared_ptr<session>& s, engineio::packet p);

  // Runs an application hook, logging (not propagating) what it throws, so one
  // bad handler cannot take a transport down.
  void run_hook(std::string_view what, const std::function<void()>& hook);

  boost::asio::any_io_executor ex;
  options opts;
  cors_policy cors;
  std::function<void(client_id)> connect_hook;
  std::function<void(client_id, std::string)> disconnect_hook;
  std::unordered_map<std::string, event_handler> event_handlers;
  std::unordered_map<std::string, std::shared_ptr<session>> sessions;  // by Engine.IO sid
  std::unordered_map<client_id, std::shared_ptr<session>> clients;     // by Socket.IO id
  app::held_amounts clients_per_user;                                  // held by sessions' user_count
  app::held_amounts sessions_per_address;                              // held by sessions' address_count
  room_registry rooms;

 private:
  void on_socketio_packet(const std::shared_ptr<session>& s, std::string_view text);
  void connect_client(const std::shared_ptr<session>& s, const boost::json::value& auth);
  // Runs the authenticator; returns the user, or the reason for CONNECT_ERROR.
  auth_result authenticate(const session& s, const boost::json::value& auth);
  void dispatch_event(const std::shared_ptr<session>& s, std::optional<std::uint64_t> ack_id, boost::json::array data);
};

}  // namespace drover::api::socketio::detail
