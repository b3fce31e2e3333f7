// websocket_io.cpp - the WebSocket transport's frames: reading a message, the single
// writer, the closing handshake, and the upgrade of a polling session (websocket_io.hpp).
#include "api/socketio/websocket_io.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "api/socketio/engineio_packet.hpp"
#include "api/socketio/session.hpp"

namespace drover::api::socketio::detail {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// engine.io's upgradeTimeout: the probe and the "5" must arrive within it.
constexpr std::chrono::seconds upgrade_timeout{10};

}  // namespace

net::awaitable<std::optional<std::string>> read_text(ws_stream& ws, beast::flat_buffer& buffer,
                                                     boost::system::error_code& ec) {
  buffer.clear();
  auto result = co_await ws.async_read(buffer, net::as_tuple(net::use_awaitable));
  ec = std::get<0>(result);
  if (ec || !ws.got_text()) co_return std::nullopt;
  co_return beast::buffers_to_string(buffer.data());
}

net::awaitable<std::shared_ptr<session>> upgrade(server_state& st, std::shared_ptr<ws_stream> ws, std::string sid) {
  auto s = st.find_session(sid);  // again: it may have closed during the WebSocket handshake
  if (!s || s->transport() != transport_kind::polling || s->probing) co_return nullptr;
  s->probing = true;

  net::steady_timer deadline(ws->get_executor());
  deadline.expires_after(upgrade_timeout);
  deadline.async_wait(
      [weak_ws = std::weak_ptr<ws_stream>(ws), weak_s = std::weak_ptr<session>(s)](boost::system::error_code ec) {
        auto w = weak_ws.lock();
        auto probed = weak_s.lock();
        if (ec || !w || !probed || !probed->probing) return;
        beast::get_lowest_layer(*w).close();  // fails the pending read
      });

  bool upgraded = false;
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  auto probe = co_await read_text(*ws, buffer, ec);
  if (probe && *probe == "2probe" && !s->closed()) {
    const std::string answer = engineio::encode_packet(engineio::packet_type::pong, "probe");
    auto written = co_await ws->async_write(net::buffer(answer), net::as_tuple(net::use_awaitable));
    if (!std::get<0>(written)) {
      s->set_upgrading(true);  // from now on polls are answered at once
      auto confirm = co_await read_text(*ws, buffer, ec);
      upgraded = confirm && *confirm == "5" && !s->closed();
    }
  }
  s->probing = false;
  deadline.cancel();
  s->set_upgrading(false);
  if (!upgraded) {
    spdlog::debug("socket.io: session {}: WebSocket upgrade failed", detail::sid_in_log(sid));
    co_return nullptr;
  }
  s->set_transport(transport_kind::websocket);
  co_return s;
}

net::awaitable<void> write_loop(server_state& st, std::shared_ptr<ws_stream> ws, std::shared_ptr<session> s) {
  for (;;) {
    // One packet at a time: what waits behind a slow write stays in the outbox,
    // where it counts against max_buffered.
    while (auto text = s->take_next()) {
      auto written = co_await ws->async_write(net::buffer(*text), net::as_tuple(net::use_awaitable));
      if (std::get<0>(written)) {
        // The reader sees the same failure; whoever is first closes the session.
        if (!s->closed()) st.close_session(s, "transport error");
        co_return;
      }
    }
    if (s->closed()) break;
    co_await s->wait();
  }
  co_await close_normally(*ws);
}

net::awaitable<void> close_normally(ws_stream& ws) {
  co_await ws.async_close(websocket::close_code::normal, net::as_tuple(net::use_awaitable));
}

}  // namespace drover::api::socketio::detail
