// server.cpp - the public face of the Socket.IO server: hooks, rooms and emits.
// The transports live in polling_transport.cpp and websocket_transport.cpp.
#include "api/socketio/server.hpp"

#include "api/socketio/request_query.hpp"
#include "api/socketio/server_state.hpp"
#include "api/socketio/socketio_packet.hpp"

namespace drover::api::socketio {
namespace json = boost::json;

namespace {

// The Engine.IO message for an event: 2["event",args...]
std::string event_message(std::string_view event, json::array args) {
  json::array data;
  data.reserve(args.size() + 1);
  data.emplace_back(event);
  for (auto& a : args) data.push_back(std::move(a));
  const sio::packet p{sio::packet_type::event, "/", std::nullopt, std::move(data)};
  return sio::encode_packet(p);
}

}  // namespace

server::server(boost::asio::any_io_executor ex, options o)
    : state_(std::make_unique<detail::server_state>(std::move(ex), std::move(o))) {}

server::~server() = default;

bool server::handles(std::string_view target) { return is_engineio_target(target); }

std::size_t server::body_limit() const { return state_->opts.max_payload; }

void server::on_connect(std::function<void(client_id)> fn) { state_->connect_hook = std::move(fn); }

void server::on_disconnect(std::function<void(client_id, std::string)> fn) { state_->disconnect_hook = std::move(fn); }

void server::on(std::string event, std::function<void(client_id, json::array, std::optional<ack_fn>)> fn) {
  state_->event_handlers.insert_or_assign(std::move(event), std::move(fn));
}

bool server::join(const client_id& client, const std::string& room) {
  if (!can_join(client, room)) return false;
  // Wall-clock ms, as the stream ids of Redis that a join time is compared with.
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  state_->rooms.join(client, room, now);
  return true;
}

bool server::can_join(const client_id& client, const std::string& room, std::size_t pending) const {
  if (!state_->find_client(client) || room.size() > state_->opts.max_room_name) return false;
  if (state_->rooms.contains(client, room)) return true;
  return state_->rooms.room_count_of(client) + pending < state_->opts.max_rooms_per_client;
}

void server::leave(const client_id& client, const std::string& room) { state_->rooms.leave(client, room); }

std::vector<client_id> server::members(const std::string& room) const { return state_->rooms.members(room); }

std::optional<std::int64_t> server::joined_at(const client_id& client, const std::string& room) const {
  return state_->rooms.joined_at(client, room);
}

bool server::emit(const client_id& client, std::string_view event, json::array args) {
  auto s = state_->find_client(client);
  if (!s) return false;
  s->send(engineio::packet_type::message, event_message(event, std::move(args)));
  return true;
}

std::size_t server::emit_to_room(const std::string& room, std::string_view event, json::array args) {
  const auto members = state_->rooms.members(room);
  if (members.empty()) return 0;
  const auto message = event_message(event, std::move(args));  // encoded once for everyone
  std::size_t sent = 0;
  for (const auto& client : members) {
    if (auto s = state_->find_client(client)) {
      s->send(engineio::packet_type::message, message);
      ++sent;
    }
  }
  return sent;
}

bool server::disconnect(const client_id& client) {
  auto s = state_->find_client(client);
  if (!s) return false;
  const sio::packet bye{sio::packet_type::disconnect, "/", std::nullopt, nullptr};
  s->send(engineio::packet_type::message, sio::encode_packet(bye));
  state_->disconnect_client(*s, "server namespace disconnect");
  return true;
}

bool server::drop(const client_id& client) {
  auto s = state_->find_client(client);
  if (!s) return false;
  state_->close_session(s, "forced close");
  return true;
}

std::optional<std::string> server::user_of(const client_id& client) const {
  auto s = state_->find_client(client);
  if (!s) return std::nullopt;
  return s->user;
}

std::size_t server::connection_count() const { return state_->clients.size(); }

std::size_t server::session_count() const { return state_->sessions.size(); }

void server::close_all() {
  std::vector<std::shared_ptr<detail::session>> all;
  all.reserve(state_->sessions.size());
  for (const auto& [sid, s] : state_->sessions) all.push_back(s);
  for (const auto& s : all) state_->close_session(s, "server shutting down");
}

}  // namespace drover::api::socketio
