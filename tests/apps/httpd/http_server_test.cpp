// http_server_test.cpp - the HTTP server's limits over real loopback sockets: the
// connection caps (total, per address), the in-flight body budget, and the read
// deadline that ends a slow-loris request.
#include "httpd/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/parse.hpp>
#include <functional>
#include <future>
#include <optional>
#include <sys/socket.h>
#include <thread>

namespace {
namespace net = boost::asio;
namespace http = boost::beast::http;
namespace httpd = drover::httpd;
using net::ip::tcp;
using namespace std::chrono_literals;

// A server on 127.0.0.1 running on its own thread; the test talks to it with
// blocking sockets.
class running_server {
 public:
  explicit running_server(httpd::server_options o) {
    o.bind = "127.0.0.1";
    o.port = 0;
    server_.emplace(io_.get_executor(), o, [](httpd::request req, std::string) -> net::awaitable<httpd::response> {
      boost::json::object body{{"size", req.body().size()}};
      co_return httpd::json_response(req, http::status::ok, body);
    });
    server_->start();
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_server() {
    net::post(io_, [this] { server_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  // Reads the server's counters on its own thread.
  std::size_t connections() {
    return on_io([this] { return server_->connection_count(); });
  }
  std::size_t body_bytes() {
    return on_io([this] { return server_->body_bytes_in_flight(); });
  }

 private:
  std::size_t on_io(const std::function<std::size_t()>& f) {
    std::promise<std::size_t> p;
    net::post(io_, [&] { p.set_value(f()); });
    return p.get_future().get();
  }

  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  std::optional<httpd::http_server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A blocking client connection from `from` (any 127.x.y.z works on Linux's loopback),
// whose reads give up after 5 s instead of hanging the test.
struct client {
  client(std::uint16_t port, const std::string& from = "127.0.0.1") : socket(io) {
    socket.open(tcp::v4());
    socket.bind({net::ip::make_address(from), 0});
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void write(std::string_view text) { net::write(socket, net::buffer(text)); }

  // Sends a request and reads the response; throws when the connection fails.
  http::response<http::string_body> send(std::string_view text) {
    write(text);
    return read();
  }
  http::response<http::string_body> read() {
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }
  // True when the server has closed the connection (reads end of stream).
  bool closed_by_server() {
    boost::system::error_code ec;
    char byte;
    socket.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  net::io_context io;
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

constexpr std::string_view get_request = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

std::string post_header(std::size_t length) {
  return "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

std::string error_of(const http::response<http::string_body>& res) {
  return std::string(boost::json::parse(res.body()).at("error").as_string());
}

TEST(HttpServer, RefusesConnectionsOverTheTotalAndPerAddressCaps) {
  httpd::server_options o;
  o.max_connections = 3;
  o.max_connections_per_address = 2;
  running_server server(o);

  // A keep-alive round trip proves the server admitted and still holds each one.
  client a1(server.port()), a2(server.port());
  EXPECT_EQ(a1.send(get_request).result(), http::status::ok);
  EXPECT_EQ(a2.send(get_request).result(), http::status::ok);

  client a3(server.port());
  auto per_address = a3.send(get_request);
  EXPECT_EQ(per_address.result(), http::status::too_many_requests);
  EXPECT_EQ(error_of(per_address), "Too many connections from your address");
  EXPECT_EQ(per_address[http::field::retry_after], "5");
  EXPECT_TRUE(a3.closed_by_server());

  client b1(server.port(), "127.0.0.2");  // another address still gets in
  EXPECT_EQ(b1.send(get_request).result(), http::status::ok);

  client c1(server.port(), "127.0.0.3");
  auto total = c1.send(get_request);
  EXPECT_EQ(total.result(), http::status::service_unavailable);
  EXPECT_EQ(error_of(total), "Too many connections; retry later");
  EXPECT_TRUE(c1.closed_by_server());

  // Those admitted are still served.
  EXPECT_EQ(a1.send(get_request).result(), http::status::ok);
  EXPECT_EQ(server.connections(), 3u);

  // A closed connection makes room.
  a1.socket.close();
  for (int i = 0; i < 100 && server.connections() != 2; ++i) std::this_thread::sleep_for(10ms);
  client c2(server.port(), "127.0.0.3");
  EXPECT_EQ(c2.send(get_request).result(), http::status::ok);
}

TEST(HttpServer, RefusesABodyThatDoesNotFitInTheInFlightBudget) {
  httpd::server_options o;
  o.body_limit = 800;
  o.max_body_bytes_in_flight = 1000;
  running_server server(o);

  // An upload that stops half-way holds its 800 bytes.
  client slow(server.port());
  slow.write(post_header(800) + std::string(100, 'a'));
  for (int i = 0; i < 100 && server.body_bytes() != 800; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server.body_bytes(), 800u);

  client refused(server.port());
  auto busy = refused.send(post_header(500) + std::string(500, 'b'));
  EXPECT_EQ(busy.result(), http::status::service_unavailable);
  EXPECT_EQ(busy[http::field::retry_after], "5");
  EXPECT_EQ(error_of(busy), "Too many uploads in progress; retry later");
  EXPECT_TRUE(refused.closed_by_server());

  client fits(server.port());
  EXPECT_EQ(fits.send(post_header(200) + std::string(200, 'c')).result(), http::status::ok);
  EXPECT_EQ(fits.send(get_request).result(), http::status::ok);  // no body: never refused

  // The slow upload completes, and its bytes are released with its reply.
  auto done = slow.send(std::string(700, 'a'));
  EXPECT_EQ(done.result(), http::status::ok);
  EXPECT_EQ(done.body(), R"({"size":800})");
  for (int i = 0; i < 100 && server.body_bytes() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.body_bytes(), 0u);
  client again(server.port());
  EXPECT_EQ(again.send(post_header(500) + std::string(500, 'b')).result(), http::status::ok);

  // A chunked body has no declared length: it reserves the body limit.
  client chunked(server.port());
  auto res = chunked.send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), R"({"size":3})");
}

TEST(HttpServer, ASlowLorisRequestIsCutAtTheReadTimeout) {
  httpd::server_options o;
  o.read_timeout = 300ms;
  o.max_connections = 2;
  running_server server(o);
  client loris(server.port());
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  // A byte every 50 ms never completes the header; the deadline is not pushed back.
  const std::string header = "GET /x HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  for (char ch : header) {
    boost::system::error_code ec;
    net::write(loris.socket, net::buffer(&ch, 1), ec);
    if (ec) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - started > 1500ms) break;
  }
  if (!closed) closed = loris.closed_by_server();
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  for (int i = 0; i < 100 && server.connections() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.connections(), 0u);
}

// A request whose body framing a proxy and this server could read differently is
// refused and its connection closed, so that its "body" never runs as a second request
// (request smuggling, RFC 9112 section 6.1).
TEST(HttpServer, RefusesATransferEncodingOtherThanChunkedAndCloses) {
  running_server server({});
  const std::string smuggled = "GET /second HTTP/1.1\r\nHost: t\r\n\r\n";
  for (const char* coding : {"xchunked", "gzip", "chunked, identity", "identity", "gzip, chunked"}) {
    SCOPED_TRACE(coding);
    client c(server.port());
    auto res =
        c.send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + std::string(coding) + "\r\n\r\n" + smuggled);
    EXPECT_EQ(res.result(), http::status::bad_request);
    EXPECT_NE(error_of(res).find("Unsupported Transfer-Encoding"), std::string::npos) << error_of(res);
    EXPECT_TRUE(c.closed_by_server());
  }
  // Two Transfer-Encoding fields are as ambiguous as a list.
  client twice(server.port());
  auto res = twice.send(
      "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(res.result(), http::status::bad_request);
}

TEST(HttpServer, ReadsAChunkedBodyAndKeepsTheConnection) {
  running_server server({});
  client c(server.port());
  auto res = c.send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:  Chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(boost::json::parse(res.body()).at("size").as_int64(), 5);
  EXPECT_EQ(c.send(get_request).result(), http::status::ok);
}

}  // namespace

// --- Starting: errors that name the address and port, and what to change.

namespace {

std::string start_error(const httpd::server_options& o) {
  net::io_context io;
  httpd::http_server server(io.get_executor(), o,
                            [](httpd::request req, std::string) -> net::awaitable<httpd::response> {
                              co_return httpd::json_response(req, http::status::ok, boost::json::object{});
                            });
  try {
    server.start();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// The review's findings: "Invalid argument [system:22]" for a host name, and "bind:
// Address already in use [... reactive_socket_service.hpp:161 ...]" for a busy port.
TEST(HttpServerStart, AHostNameIsRefusedWithTheSettingAndAnIpExample) {
  httpd::server_options o;
  o.bind = "api.internal";
  o.bind_setting = "WORKERS_BIND";
  o.port = 3000;
  EXPECT_EQ(start_error(o),
            "cannot listen on api.internal:3000: WORKERS_BIND must be an IP address (e.g. 127.0.0.1 or ::1), not a "
            "host name");
}

TEST(HttpServerStart, ABusyPortNamesTheAddressWithoutSourceLocations) {
  net::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  httpd::server_options o;
  o.bind = "127.0.0.1";
  o.port = taken.local_endpoint().port();
  const auto message = start_error(o);
  EXPECT_EQ(message, "cannot listen on 127.0.0.1:" + std::to_string(o.port) +
                         ": address already in use (another process listens there)");
  EXPECT_EQ(message.find(".hpp"), std::string::npos);
}

TEST(HttpServerStart, LocalhostIsLoopback) {
  net::io_context io;
  httpd::server_options o;
  o.bind = "localhost";
  o.port = 0;
  httpd::http_server server(io.get_executor(), o,
                            [](httpd::request req, std::string) -> net::awaitable<httpd::response> {
                              co_return httpd::json_response(req, http::status::ok, boost::json::object{});
                            });
  server.start();
  EXPECT_GT(server.port(), 0);
  server.stop();
}
