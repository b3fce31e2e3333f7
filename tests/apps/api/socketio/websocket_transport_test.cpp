// websocket_transport_test.cpp - the WebSocket transport over a loopback connection:
// the session cap on a fresh WebSocket, and a client that stops reading, whose write
// in flight must not keep its connection (and memory) alive.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "polling_harness.hpp"

namespace drover::api::socketio::testing {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using net::ip::tcp;
using namespace std::chrono_literals;

constexpr const char* ws_target = "/socket.io/?EIO=4&transport=websocket";

// A server endpoint on loopback that hands each connection's first request to
// run_websocket, on the harness's io_context (the test thread).
class ws_endpoint {
 public:
  // `client_address` is what run_websocket is told the client's address is.
  explicit ws_endpoint(polling_harness& h, int send_buffer = 0, std::string client_address = "127.0.0.1")
      : h_(h),
        acceptor_(h.io, {net::ip::make_address("127.0.0.1"), 0}),
        send_buffer_(send_buffer),
        client_address_(std::move(client_address)) {
    net::co_spawn(h.io, serve(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // run_websocket has returned: the connection is finished and its memory released.
  bool finished = false;

 private:
  net::awaitable<void> serve() {
    auto socket = co_await acceptor_.async_accept(net::use_awaitable);
    if (send_buffer_) socket.set_option(net::socket_base::send_buffer_size(send_buffer_));
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    co_await http::async_read(stream, buffer, req, net::use_awaitable);
    std::string address = client_address_;
    co_await h_.server.run_websocket(std::move(stream), std::move(req), std::move(address));
    finished = true;
  }

  polling_harness& h_;
  tcp::acceptor acceptor_;
  int send_buffer_;
  std::string client_address_;
};

// Runs the io_context until `done()` or `limit`.
template <class Done>
bool run_until(polling_harness& h, Done done, std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    h.resume();
    h.io.run_one_for(10ms);
  }
  return done();
}

// The server's HTTP answer to a handshake (101 when it took the session, or its
// refusal), and the client's end of the connection, open while it is kept.
struct handshake_answer {
  http::response<http::string_body> res;
  std::shared_ptr<tcp::socket> socket;
};

// Sends a fresh WebSocket handshake to `endpoint`, with an Authorization header for each
// of `authorizations`.
handshake_answer handshake(polling_harness& h, ws_endpoint& endpoint, std::vector<std::string> authorizations = {}) {
  http::response<http::string_body> res;
  bool answered = false;
  auto socket = std::make_shared<tcp::socket>(h.io);
  net::co_spawn(
      h.io,
      [&, socket]() -> net::awaitable<void> {
        co_await socket->async_connect({net::ip::make_address("127.0.0.1"), endpoint.port()}, net::use_awaitable);
        http::request<http::empty_body> req{http::verb::get, ws_target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::upgrade, "websocket");
        req.set(http::field::connection, "Upgrade");
        req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
        req.set(http::field::sec_websocket_version, "13");
        for (const auto& a : authorizations) req.insert(http::field::authorization, a);
        co_await http::async_write(*socket, req, net::use_awaitable);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.skip(false);
        co_await http::async_read_header(*socket, buffer, parser, net::use_awaitable);
        if (parser.get().result() != http::status::switching_protocols) {
          co_await http::async_read(*socket, buffer, parser, net::use_awaitable);
        }
        res = parser.release();
        answered = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  EXPECT_TRUE(run_until(h, [&] { return answered; }));
  return {std::move(res), socket};
}

TEST(websocket_transport, refuses_a_fresh_websocket_beyond_max_sessions) {
  options o = quiet_options();
  o.max_sessions = 1;
  polling_harness h(o);
  h.open();  // the one session allowed
  ws_endpoint endpoint(h);
  const auto res = handshake(h, endpoint).res;
  ASSERT_TRUE(run_until(h, [&] { return endpoint.finished; }));
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(res.body(), R"({"code":4,"message":"Server full"})");
  EXPECT_EQ(h.server.session_count(), 1u);
}

TEST(websocket_transport, refuses_a_handshake_with_two_authorization_headers) {
  polling_harness h(quiet_options());
  ws_endpoint endpoint(h);
  // Two sets of credentials are none: the first was taken as the session's user.
  const auto res = handshake(h, endpoint, {"Bearer first", "Bearer second"}).res;
  ASSERT_TRUE(run_until(h, [&] { return endpoint.finished; }));
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_EQ(h.server.session_count(), 0u);
}

TEST(websocket_transport, refuses_a_fresh_websocket_beyond_the_addresss_sessions_and_takes_another_addresss) {
  options o = quiet_options();
  o.max_sessions_per_address = 1;
  polling_harness h(o);
  h.open();  // 127.0.0.1's one session, over polling: the cap counts both transports
  ws_endpoint same(h, 0, "127.0.0.1");
  const auto refused = handshake(h, same).res;
  ASSERT_TRUE(run_until(h, [&] { return same.finished; }));
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(refused.body(), R"({"code":4,"message":"Too many sessions from your address"})");
  EXPECT_EQ(h.server.session_count(), 1u);

  ws_endpoint other(h, 0, "127.0.0.2");
  const auto taken = handshake(h, other);
  EXPECT_EQ(taken.res.result(), http::status::switching_protocols);
  EXPECT_TRUE(run_until(h, [&] { return h.server.session_count() == 2; }));
  taken.socket->close();
  EXPECT_TRUE(run_until(h, [&] { return other.finished; }));
  EXPECT_EQ(h.server.session_count(), 1u);
}

TEST(websocket_transport, a_client_that_stops_reading_is_dropped_and_its_connection_closed) {
  options o = quiet_options();  // pings every 30 s: only the outbox can end this session
  o.max_buffered = 64 * 1024;
  polling_harness h(o);
  std::vector<std::string> reasons;
  std::optional<client_id> id;
  h.server.on_connect([&](client_id c) { id = c; });
  h.server.on_disconnect([&](client_id, std::string reason) { reasons.push_back(reason); });
  ws_endpoint endpoint(h, 4096);  // small kernel buffers, so the write gets stuck soon

  // The client joins "/" and then never reads again.
  websocket::stream<beast::tcp_stream> client(h.io);
  bool joined = false;
  net::co_spawn(
      h.io,
      [&]() -> net::awaitable<void> {
        auto& socket = beast::get_lowest_layer(client).socket();
        socket.open(tcp::v4());
        socket.set_option(net::socket_base::receive_buffer_size(4096));
        co_await socket.async_connect({net::ip::make_address("127.0.0.1"), endpoint.port()}, net::use_awaitable);
        co_await client.async_handshake("127.0.0.1", ws_target, net::use_awaitable);
        beast::flat_buffer buffer;
        co_await client.async_read(buffer, net::use_awaitable);  // open packet
        co_await client.async_write(net::buffer(std::string_view("40")), net::use_awaitable);
        buffer.clear();
        co_await client.async_read(buffer, net::use_awaitable);  // 40{"sid":...}
        joined = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  ASSERT_TRUE(run_until(h, [&] { return joined && id; }));

  // A steady stream, so that the writer has sent what the kernel takes and is stuck
  // on the rest when the outbox overflows.
  const std::string chunk(4000, 'x');
  for (int i = 0; i < 1000 && reasons.empty(); ++i) {
    h.server.emit(*id, "spam", {chunk});
    h.run_for(1ms);
  }
  EXPECT_EQ(reasons, std::vector<std::string>{"forced close"});
  // The stuck write was aborted: the transport ends now, not at the 60 s idle timeout.
  EXPECT_TRUE(run_until(
      h, [&] { return endpoint.finished; }, 2s));
  EXPECT_EQ(h.server.session_count(), 0u);
}

}  // namespace
}  // namespace drover::api::socketio::testing
