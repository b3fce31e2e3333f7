// http_server.hpp - accepts connections and runs one HTTP session per connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <functional>
#include <memory>

#include <boost/beast/core/tcp_stream.hpp>

#include "httpd/http_types.hpp"

namespace drover::httpd {

struct server_options {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 0;
  std::size_t body_limit = 1024 * 1024;           // larger bodies get 413
  // When set, the body limit of each request, decided from its header (method and
  // target); body_limit is then unused. Lets one route take larger bodies than the rest.
  std::function<std::size_t(const request& header)> body_limit_for;
  std::chrono::milliseconds read_timeout{15000};  // a request must arrive within this
  std::chrono::milliseconds idle_timeout{60000};  // idle keep-alive connections close
};

// Session loop (one coroutine per connection):
//  1. read a request within read_timeout (idle_timeout between keep-alive requests):
//     the header, then the body limited to body_limit or body_limit_for(header); beyond
//     it 413, and the rest of the upload is read and dropped for a moment so that the
//     client, still sending, sees the answer rather than a reset connection;
//  2. a WebSocket upgrade the upgrade hook accepts, or a request the stream hook
//     accepts, takes the connection over; everything else goes to the handler;
//  3. write the reply and loop while keep-alive.
// Malformed requests get a JSON 400 and the connection is closed.
// Thread safety: runs on one executor; not thread-safe.
class http_server {
 public:
  using handler = std::function<boost::asio::awaitable<response>(request)>;
  // Returns true when it takes over a WebSocket upgrade request.
  using upgrade_filter = std::function<bool(const request&)>;
  using upgrade_handler = std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream, request)>;

  http_server(boost::asio::any_io_executor ex, server_options opts, handler h, upgrade_filter wants_upgrade = {},
              upgrade_handler on_upgrade = {});
  ~http_server();

  // Lets `on_stream` take over the connection of a plain request `wants_stream` accepts,
  // for replies that go on for long, such as a server-sent event stream.
  void set_stream_hook(upgrade_filter wants_stream, upgrade_handler on_stream);

  // Binds and listens; throws when the address is taken.
  void start();
  void stop();
  std::uint16_t port() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor ex_;
  server_options opts_;
  handler handler_;
  upgrade_filter wants_upgrade_;
  upgrade_handler on_upgrade_;
  upgrade_filter wants_stream_;
  upgrade_handler on_stream_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopped_ = false;
};

}  // namespace drover::httpd
