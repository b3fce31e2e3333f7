// packet_dispatch.cpp - what each packet from a client does, at the Engine.IO layer
// and then at the Socket.IO layer (the default namespace only).
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>

#include "api/socketio/client_mistakes_log.hpp"
#include "api/socketio/random_id.hpp"
#include "api/socketio/server_state.hpp"
#include "api/socketio/socketio_packet.hpp"

namespace drover::api::socketio::detail {
namespace json = boost::json;

namespace {

// Logs at most this much of a bad packet: enough to recognise it, not a megabyte.
std::string_view excerpt(std::string_view text) { return text.substr(0, 80); }

std::string encode_socketio(const sio::packet& p) { return sio::encode_packet(p); }

// CONNECTs an Engine.IO session may have refused before it is closed. A real
// client tries once per session; socket.io-client opens a new session to retry.
constexpr unsigned max_refused_connects = 3;

}  // namespace

void server_state::on_engine_packet(const std::shared_ptr<session>& s, engineio::packet p) {
  using engineio::packet_type;
  switch (p.type) {
    case packet_type::pong:
      s->on_pong();
      identity_holds(s);
      return;
    case packet_type::message:
      on_socketio_packet(s, p.data);
      return;
    case packet_type::close:
      close_session(s, "transport close");
      return;
    case packet_type::noop:
      return;
    case packet_type::ping:  // v4 clients never ping; the reference calls it "invalid heartbeat direction"
    case packet_type::open:
    case packet_type::upgrade:  // only valid on a WebSocket being probed, handled there
      client_mistakes_log.warn("socket.io: session {}: unexpected Engine.IO packet '{}'", s->log_name(),
                               static_cast<char>(p.type));
      close_session(s, "transport error");
      return;
  }
}

void server_state::on_socketio_packet(const std::shared_ptr<session>& s, std::string_view text) {
  auto p = sio::decode_packet(text);
  if (!p) {
    client_mistakes_log.warn("socket.io: session {}: malformed packet '{}'", s->log_name(), excerpt(text));
    close_session(s, "parse error");
    return;
  }
  if (p->nsp != "/") {
    // Only "/" exists. Refuse joins like the reference; drop anything else for a
    // namespace the client cannot have joined.
    if (p->type == sio::packet_type::connect) {
      sio::packet refusal{sio::packet_type::connect_error, p->nsp, std::nullopt,
                          json::object{{"message", "Invalid namespace"}}};
      s->send(engineio::packet_type::message, encode_socketio(refusal));
    }
    return;
  }
  switch (p->type) {
    case sio::packet_type::connect:
      // A second CONNECT while connected is ignored, as the reference does.
      if (!s->client) connect_client(s, p->data);
      return;
    case sio::packet_type::disconnect: {
      // Only a client that had joined gets the connect timeout again: one that never did
      // must not postpone its deadline by leaving.
      const bool joined = s->client.has_value();
      disconnect_client(*s, "client namespace disconnect");
      if (joined) s->on_disconnected();
      return;
    }
    case sio::packet_type::event:
      if (s->client) dispatch_event(s, p->id, std::move(p->data.as_array()));
      return;
    case sio::packet_type::ack:  // the server emits no events with acks, so none are awaited
    case sio::packet_type::connect_error:
    case sio::packet_type::binary_event:
    case sio::packet_type::binary_ack:
      return;
  }
}

auth_result server_state::authenticate(const session& s, const json::value& auth) {
  if (!opts.authenticate) return auth_result{};
  auth_result result;
  try {
    result = opts.authenticate(auth, s.authorization);
  } catch (const std::exception& e) {
    spdlog::error("socket.io: session {}: the authenticator threw: {}", s.log_name(), e.what());
    return auth_result::refuse("Authentication failed");
  }
  if (!result.user) {
    if (result.reason.empty()) result.reason = "Authentication failed";
    return result;
  }
  if (clients_per_user.of(*result.user) >= opts.max_sessions_per_user) {
    return auth_result::refuse("Too many connections for this user");
  }
  return result;
}

void server_state::connect_client(const std::shared_ptr<session>& s, const json::value& auth) {
  auto verdict = authenticate(*s, auth);
  if (opts.authenticate && !verdict.user) {
    // What socket.io's middleware does with next(new Error(reason)): the session
    // stays open and the connect deadline keeps running, so a client that never
    // gets in is closed by it.
    spdlog::debug("socket.io: session {}: CONNECT refused: {}", s->log_name(), excerpt(verdict.reason));
    if (++s->refused_connects > max_refused_connects) {
      // Each attempt runs the authenticator (a signature check): a POST full of
      // CONNECTs must not buy unbounded CPU.
      close_session(s, "too many refused connects");
      return;
    }
    sio::packet refusal{sio::packet_type::connect_error, "/", std::nullopt,
                        json::object{{"message", std::move(verdict.reason)}}};
    s->send(engineio::packet_type::message, encode_socketio(refusal));
    return;
  }
  const client_id id = random_id();
  s->client = id;
  if (verdict.user) {
    s->user_count = clients_per_user.hold(1, {*verdict.user});
    s->user = std::move(verdict.user);
  }
  s->on_connected();
  if (verdict.valid_until) s->end_at(*verdict.valid_until);
  s->still_valid = std::move(verdict.still_valid);
  s->identity_checked_at = std::chrono::steady_clock::now();
  clients.emplace(id, s);
  sio::packet accepted{sio::packet_type::connect, "/", std::nullopt, json::object{{"sid", id}}};
  s->send(engineio::packet_type::message, encode_socketio(accepted));
  if (connect_hook) run_hook("on_connect", [&] { connect_hook(id); });
}

bool server_state::identity_holds(const std::shared_ptr<session>& s) {
  if (!s->client || !s->still_valid) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now - s->identity_checked_at < opts.identity_recheck) return true;
  s->identity_checked_at = now;
  bool holds = false;
  run_hook("still_valid", [&] { holds = s->still_valid(); });
  if (!holds) close_session(s, "credentials no longer accepted");
  return holds;
}

void server_state::dispatch_event(const std::shared_ptr<session>& s, std::optional<std::uint64_t> ack_id,
                                  json::array data) {
  if (!identity_holds(s)) return;
  const std::string name(data.front().as_string());  // decode_packet checked the shape
  auto handler = event_handlers.find(name);
  if (handler == event_handlers.end()) {
    spdlog::debug("socket.io: client {}: no handler for event '{}'", *s->client, excerpt(name));
    // A client that waits for the ack of an event nobody handles is told so, not left
    // waiting for good (an API client's review waited on leave-conversation).
    json::object refusal{{"status", 400}, {"error", fmt::format("Unknown event '{}'", excerpt(name))}};
    if (ack_id) {
      sio::packet reply{sio::packet_type::ack, "/", *ack_id, json::array{std::move(refusal)}};
      s->send(engineio::packet_type::message, encode_socketio(reply));
    } else if (!opts.unknown_event_refusal.empty()) {
      refusal["event"] = excerpt(name);
      sio::packet told{sio::packet_type::event, "/", std::nullopt,
                       json::array{json::value(opts.unknown_event_refusal), std::move(refusal)}};
      s->send(engineio::packet_type::message, encode_socketio(told));
    }
    return;
  }
  data.erase(data.begin());

  std::optional<ack_fn> ack;
  if (ack_id) {
    auto answered = std::make_shared<bool>(false);
    ack = [weak = std::weak_ptr<session>(s), client = *s->client, id = *ack_id, answered](json::array args) {
      auto target = weak.lock();
      if (*answered || !target || target->closed() || target->client != client) return;
      *answered = true;
      sio::packet reply{sio::packet_type::ack, "/", id, std::move(args)};
      target->send(engineio::packet_type::message, encode_socketio(reply));
    };
  }
  // Copy the handler: it may replace itself (on() again) while it runs.
  const auto fn = handler->second;
  const client_id id = *s->client;
  run_hook(name, [&] { fn(id, std::move(data), std::move(ack)); });
}

}  // namespace drover::api::socketio::detail
