// websocket_transport.cpp - Engine.IO's WebSocket transport: fresh sessions, and
// upgrades of polling sessions. The frames, the writer and the upgrade are in
// websocket_io.cpp.
//
// Each connection has two coroutines: the reader (run_websocket itself) and one
// writer that drains the session's outbox, so only one write is ever in flight.
// Every read has a deadline: Beast's idle timeout closes a connection that sends
// nothing for ping_interval + ping_timeout (a live client pongs every
// ping_interval), and an upgrade must complete within upgrade_timeout.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>

#include "api/socketio/client_mistakes_log.hpp"
#include "api/socketio/engineio_error.hpp"
#include "api/socketio/request_query.hpp"
#include "api/socketio/server.hpp"
#include "api/socketio/server_state.hpp"
#include "api/socketio/websocket_io.hpp"

namespace drover::api::socketio {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

using request = http::request<http::string_body>;
using detail::ws_stream;

// For the opening handshake, the closing handshake, and writing a refusal.
constexpr std::chrono::seconds handshake_timeout{10};

// Checks the upgrade request in the reference's order: origin, transport,
// protocol, session. On success `sid` is the session to upgrade, empty for a new one.
std::optional<engineio_error> check(const detail::server_state& st, const request& req, std::string& sid) {
  if (!st.cors.allows(req[http::field::origin], req[http::field::host])) return engineio_error::forbidden;
  const auto query = parse_request_query(req.target());
  if (!query) return engineio_error::bad_request;
  if (query->transport != "websocket") {
    return query->transport == "polling" ? engineio_error::bad_request : engineio_error::unknown_transport;
  }
  if (query->eio != "4") return engineio_error::unsupported_protocol_version;
  // Two sets of credentials are none, as on every route (gatekeeper.cpp).
  if (query->sid.empty() && req.count(http::field::authorization) > 1) return engineio_error::bad_request;
  if (!query->sid.empty()) {
    const auto s = st.find_session(query->sid);
    if (!s) return engineio_error::unknown_sid;
    // Already upgraded, or another WebSocket is probing it.
    if (s->transport() != detail::transport_kind::polling || s->probing) return engineio_error::bad_request;
  }
  sid = query->sid;
  return std::nullopt;
}

net::awaitable<void> refuse(beast::tcp_stream& stream, http::response<http::string_body> res) {
  stream.expires_after(handshake_timeout);
  co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

void configure(ws_stream& ws, const options& opts) {
  // The WebSocket keeps its own time from here; a leftover HTTP expiry would cut it.
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = handshake_timeout;
  timeout.idle_timeout = opts.ping_interval + opts.ping_timeout;
  timeout.keep_alive_pings = false;  // Engine.IO's heartbeat is the keep-alive
  ws.set_option(timeout);
  ws.read_message_max(opts.max_payload);
  ws.text(true);
}

// Lets run_websocket wait for its writer, so that it returns only when the
// connection is finished.
struct writer_done {
  explicit writer_done(const net::any_io_executor& ex) : signal(ex, net::steady_timer::time_point::max()) {}
  net::steady_timer signal;
  bool finished = false;
};

std::string_view close_reason(const boost::system::error_code& ec) {
  if (ec == websocket::error::closed || ec == net::error::eof) return "transport close";
  if (ec == beast::error::timeout) return "ping timeout";
  return "transport error";
}

}  // namespace

net::awaitable<void> server::run_websocket(beast::tcp_stream stream, http::request<http::string_body> req,
                                           std::string client_address) {
  detail::server_state& st = *state_;
  std::string sid;
  const auto refused = check(st, req, sid);
  if (refused) {
    auto res = error_response(*refused, req.version(), false);
    co_await refuse(stream, std::move(res));
    co_return;
  }
  if (sid.empty()) {
    if (auto full = st.refuse_handshake(client_address, req.version(), false)) {
      co_await refuse(stream, std::move(*full));
      co_return;
    }
  }

  auto ws = std::make_shared<ws_stream>(std::move(stream));
  configure(*ws, st.opts);
  ws->set_option(
      websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "drover"); }));
  auto accepted = co_await ws->async_accept(req, net::as_tuple(net::use_awaitable));
  if (std::get<0>(accepted)) co_return;

  std::shared_ptr<detail::session> s;
  if (sid.empty() && st.refuse_handshake(client_address, req.version(), false)) {
    // Others from this address got in while the handshake was written: too late for
    // the HTTP refusal, so "try again later" as a close code.
    co_await ws->async_close(websocket::close_code::try_again_later, net::as_tuple(net::use_awaitable));
    co_return;
  }
  if (sid.empty()) {
    s = st.open_session(detail::transport_kind::websocket, req[http::field::authorization], std::move(client_address));
  } else {
    s = co_await detail::upgrade(st, ws, sid);
    if (!s) {
      co_await detail::close_normally(*ws);
      co_return;
    }
  }

  s->abort_transport = [weak_ws = std::weak_ptr<ws_stream>(ws)] {
    if (auto w = weak_ws.lock()) beast::get_lowest_layer(*w).close();
  };

  auto done = std::make_shared<writer_done>(ws->get_executor());
  net::co_spawn(ws->get_executor(), detail::write_loop(st, ws, s), [done, sid = s->sid()](std::exception_ptr e) {
    done->finished = true;
    done->signal.cancel();
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("socket.io: session {}: WebSocket writer failed: {}", detail::sid_in_log(sid), ex.what());
    }
  });

  beast::flat_buffer buffer;
  boost::system::error_code ec;
  std::string_view reason;
  while (reason.empty() && !s->closed()) {
    auto text = co_await detail::read_text(*ws, buffer, ec);
    if (s->closed()) break;
    if (!text) {
      // A binary frame reads fine but is not ours to parse.
      reason = ec ? close_reason(ec) : "parse error";
      break;
    }
    auto p = engineio::decode_packet(*text);
    if (!p) {
      client_mistakes_log.warn("socket.io: session {}: malformed Engine.IO packet on WebSocket", s->log_name());
      reason = "parse error";
      break;
    }
    st.on_engine_packet(s, std::move(*p));
  }
  if (!reason.empty()) st.close_session(s, reason);

  // The writer now says goodbye (or has already failed); wait for it.
  while (!done->finished) co_await done->signal.async_wait(net::as_tuple(net::use_awaitable));
}

}  // namespace drover::api::socketio
