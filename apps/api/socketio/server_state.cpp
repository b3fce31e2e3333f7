// server_state.cpp - the session registry and the one place sessions end.
#include "api/socketio/server_state.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/socketio/engineio_error.hpp"
#include "api/socketio/random_id.hpp"

namespace drover::api::socketio::detail {
namespace json = boost::json;
namespace http = boost::beast::http;

server_state::server_state(boost::asio::any_io_executor executor, options o)
    : ex(std::move(executor)), opts(std::move(o)), cors(opts.cors_origins) {}

server_state::~server_state() {
  for (auto& [sid, s] : sessions) s->close();
}

std::shared_ptr<session> server_state::open_session(transport_kind transport, std::string_view authorization,
                                                    std::string address) {
  const session::timing timing{opts.ping_interval, opts.ping_timeout, opts.connect_timeout, opts.max_buffered};
  auto s = std::make_shared<session>(ex, random_id(), transport, timing, *this);
  s->authorization = authorization;
  s->address_count = sessions_per_address.hold(1, {address});
  s->address = std::move(address);
  sessions.emplace(s->sid(), s);

  json::object handshake;
  handshake["sid"] = s->sid();
  json::array upgrades;
  if (transport == transport_kind::polling) upgrades.emplace_back("websocket");
  handshake["upgrades"] = std::move(upgrades);
  handshake["pingInterval"] = opts.ping_interval.count();
  handshake["pingTimeout"] = opts.ping_timeout.count();
  handshake["maxPayload"] = opts.max_payload;
  s->send(engineio::packet_type::open, json::serialize(handshake));
  s->start_timers();
  return s;
}

std::optional<http::response<http::string_body>> server_state::refuse_handshake(const std::string& address,
                                                                                unsigned version,
                                                                                bool keep_alive) const {
  if (sessions.size() >= opts.max_sessions) return server_full_response(version, keep_alive);
  if (const auto open = sessions_per_address.of(address); open >= opts.max_sessions_per_address) {
    spdlog::debug("socket.io: handshake from {} refused: {} sessions open", address, open);
    return too_many_sessions_response(version, keep_alive);
  }
  return std::nullopt;
}

std::shared_ptr<session> server_state::find_session(const std::string& sid) const {
  auto it = sessions.find(sid);
  return it == sessions.end() ? nullptr : it->second;
}

std::shared_ptr<session> server_state::find_client(const client_id& client) const {
  auto it = clients.find(client);
  return it == clients.end() ? nullptr : it->second;
}

void server_state::close_session(const std::shared_ptr<session>& s, std::string_view reason) {
  if (s->closed()) return;
  spdlog::debug("socket.io: session {} closed: {}", s->log_name(), reason);
  s->close();
  sessions.erase(s->sid());
  s->address_count = {};
  disconnect_client(*s, reason);
}

void server_state::disconnect_client(session& s, std::string_view reason) {
  if (!s.client) return;
  const client_id id = std::move(*s.client);
  s.client.reset();
  clients.erase(id);
  s.user_count = {};
  s.user.reset();
  rooms.leave_all(id);
  if (disconnect_hook) {
    const std::string why(reason);
    run_hook("on_disconnect", [&] { disconnect_hook(id, why); });
  }
}

void server_state::run_hook(std::string_view what, const std::function<void()>& hook) {
  try {
    hook();
  } catch (const std::exception& e) {
    spdlog::error("socket.io: {} hook threw: {}", what, e.what());
  }
}

}  // namespace drover::api::socketio::detail
