// session.hpp - one Engine.IO session: its outgoing packets, its transport and its heartbeat.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <drover_app/held_amounts.hpp>

#include "api/socketio/client_id.hpp"
#include "api/socketio/engineio_packet.hpp"

namespace drover::api::socketio::detail {

class server_state;

enum class transport_kind { polling, websocket };

// The state of one Engine.IO connection, whatever carries it.
//
// Lifecycle:
//  1. The server creates it on a handshake (a polling GET, or a WebSocket without
//     sid) and queues the open packet.
//  2. The heartbeat queues a ping every ping_interval; when no pong arrives within
//     ping_timeout, or no Socket.IO CONNECT within connect_timeout, it asks the
//     server to close the session.
//  3. Packets for the client wait in the outbox. One consumer at a time drains it:
//     the pending polling GET, or after an upgrade the WebSocket writer. wait()
//     parks that consumer until send(), close() or a transport change wakes it.
//     When more than max_buffered bytes wait, the client is too slow: the outbox
//     is freed at once, the session closed and its transport aborted.
//  4. A polling session may upgrade: while `upgrading`, a GET is answered at once
//     (with a noop if nothing is queued) so the client can pause polling; then the
//     transport becomes websocket and the WebSocket writer takes the outbox over.
//  5. close() marks it closed, stops the timers and wakes the consumer, which says
//     goodbye (polling answers "1", the WebSocket sends a close frame). The server
//     has already dropped it from its maps; coroutines still holding it see closed().
//
// Not thread-safe: it lives on the server's single thread like everything here.
// A session id as logs name it: the first 6 characters, enough to follow one session.
inline std::string sid_in_log(std::string_view sid) { return std::string(sid.substr(0, 6)) + "..."; }

class session : public std::enable_shared_from_this<session> {
 public:
  struct timing {
    std::chrono::milliseconds ping_interval;
    std::chrono::milliseconds ping_timeout;
    std::chrono::milliseconds connect_timeout;
    std::size_t max_buffered;  // bytes in the outbox before the client counts as too slow
  };

  // `owner` is told (close_session) when a timer or an overflow ends the session;
  // it must outlive the session's timers, which close() cancels.
  session(boost::asio::any_io_executor ex, std::string sid, transport_kind transport, timing t, server_state& owner);

  const std::string& sid() const { return sid_; }
  // The sid as logs name it: its first characters. With the polling transport the sid
  // is all a request needs to act as the session, and logs are read by more people.
  std::string log_name() const { return sid_in_log(sid_); }

  // Queues a packet for the client and wakes the consumer. Ignored once closed.
  // A client that lets more than max_buffered bytes pile up loses its outbox and
  // every later packet at once, and is closed ("forced close") soon after rather
  // than inside this call, so emit() never re-enters the application's hooks.
  void send(engineio::packet_type type, std::string_view data = {});
  bool has_outbox() const { return !outbox_.empty(); }
  // Returns the queued packets, oldest first, and empties the outbox (polling).
  std::vector<std::string> take_outbox();
  // Returns the oldest queued packet (the WebSocket writer, one frame at a time,
  // so that what waits behind a slow write still counts against max_buffered).
  std::optional<std::string> take_next();

  // Waits until something may have changed for the consumer. Wakeups can be
  // spurious: callers loop on their own condition.
  boost::asio::awaitable<void> wait();
  void wake();

  // Starts the ping cycle and the connect deadline (step 2).
  void start_timers();
  // A pong from the client: the next ping is due in ping_interval.
  void on_pong();
  // The client joined the default namespace; the connect deadline no longer applies.
  void on_connected();
  // The client left it (a DISCONNECT packet) and may join again: within the connect
  // timeout, as at the start, or the session ends. Otherwise leaving and joining again
  // would keep sessions that count against no user's cap for as long as they ping.
  void on_disconnected();
  // The client's identity lapses at `t` (its token expires): the session ends then, so
  // that it neither hears nor joins more than a request with that token could.
  void end_at(std::chrono::system_clock::time_point t);

  bool closed() const { return closed_; }
  // Step 5. Idempotent. Does not touch the server: callers use server_state::close_session.
  void close();

  transport_kind transport() const { return transport_; }
  void set_transport(transport_kind t);
  bool upgrading() const { return upgrading_; }
  void set_upgrading(bool u);

  // A polling GET is waiting for packets; a second one closes the session.
  bool poll_pending = false;
  // A WebSocket is probing this polling session; a second one is refused.
  bool probing = false;
  // The client's Socket.IO id while it is connected to "/".
  std::optional<client_id> client;
  // The user the authenticator accepted the client as, while connected.
  std::optional<std::string> user;
  // The authenticator's still_valid for the connected client, and when it last said so.
  std::function<bool()> still_valid;
  std::chrono::steady_clock::time_point identity_checked_at;
  // CONNECTs the authenticator refused in this session.
  unsigned refused_connects = 0;
  // The Authorization header of the request that opened the session, for the
  // authenticator.
  std::string authorization;
  // The client's address, whose max_sessions_per_address this session counts against
  // while it holds `address_count`; `user_count` counts it against its user's
  // max_sessions_per_user while a client is connected.
  std::string address;
  app::held_amounts::holding address_count, user_count;
  // Set by the WebSocket transport: closes the connection at once, failing a
  // write stuck on a client that does not read. Called after a forced close.
  std::function<void()> abort_transport;

 private:
  void schedule_ping();
  void await_pong(std::uint64_t generation);
  void arm_connect_deadline();

  std::string sid_;
  transport_kind transport_;
  timing timing_;
  server_state& owner_;
  bool closed_ = false;
  bool upgrading_ = false;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool overflowed_ = false;
  // Never expires: cancel() is the signal, so waiters never re-arm it and cannot
  // cancel each other.
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer heartbeat_;
  boost::asio::steady_timer connect_deadline_;
  boost::asio::steady_timer identity_deadline_;
  // Each ping cycle has a number, so a timer handler that was already queued when
  // a pong rescheduled the cycle sees it is stale and does nothing.
  std::uint64_t heartbeat_generation_ = 0;
  bool awaiting_pong_ = false;
};

}  // namespace drover::api::socketio::detail
