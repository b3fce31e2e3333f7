// http_server.hpp - accepts connections and runs one HTTP session per connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>
#include <functional>
#include <memory>

#include <boost/beast/core/tcp_stream.hpp>

#include "httpd/connection_limits.hpp"
#include "httpd/http_types.hpp"
#include "httpd/request_plan.hpp"
#include "httpd/upload_budget.hpp"

namespace drover::httpd {

class http_metrics;

struct server_options {
  // An IP address (IPv4 or IPv6), or "localhost", taken as 127.0.0.1.
  std::string bind = "0.0.0.0";
  // The setting `bind` came from, for start()'s errors (BIND, WORKERS_BIND, METRICS_BIND).
  std::string bind_setting = "BIND";
  std::uint16_t port = 0;
  // Larger bodies get 413; a request_plan may set another limit for its request.
  std::size_t body_limit = 1024 * 1024;
  // A request's header must arrive within this, and its body within this plus a second
  // for each 32 KiB of it that has arrived (so a large upload on a slow link is not cut,
  // and a body that stops coming is).
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds idle_timeout{60000};  // idle keep-alive connections close
  // Connections served at once (WebSockets and streams included), in total and from
  // one client address. Beyond them a new connection gets 503 (total) or 429 (its
  // address) with {"error": ...} and is closed; its body is never read. 0: no limit.
  // Behind a reverse proxy every client has the proxy's address: raise the second.
  std::size_t max_connections = 1000;
  std::size_t max_connections_per_address = 100;
  // Bytes that uploads (requests whose plan says `upload`) may hold in memory together,
  // from the start of their read until their reply is written. An upload that does not
  // fit in what is left (its Content-Length, or its body limit when chunked) gets 503
  // with Retry-After. 0: no limit. Keep it at least as large as the largest upload limit.
  std::size_t max_body_bytes_in_flight = 256 * 1024 * 1024;
  // What the uploads of one client address, and of one upload_owner (a user), may hold
  // of that at once; beyond it 429 with Retry-After. 0: no per-client limit.
  std::size_t max_body_bytes_per_client = 0;
  // Serve only requests whose Host is an IP address or localhost (a name no DNS can point
  // elsewhere: a "DNS rebinding" page, whose own name the attacker re-points at
  // 127.0.0.1, is then refused with 403). For servers without authentication, which a
  // browser's page on any site could otherwise read through.
  bool local_hosts_only = false;
  // With local_hosts_only, these names are served too (the host of PUBLIC_URL, by which
  // the Workers app reaches the API in a compose file): the operator's own, not a page's.
  std::vector<std::string> also_served_hosts;
  // Counts the replies the server writes itself, before or instead of the application's
  // (a malformed request, a Host refused, a body too large or refused unread, the
  // connection caps, shutting down), under the route "refused". Optional; it must
  // outlive the server.
  http_metrics* metrics = nullptr;
};

// Whether the authority `host` (a Host header's "name[:port]") is an IP address,
// "localhost" or a name under ".localhost" (RFC 6761: always the loopback).
bool names_no_rebindable_host(std::string_view host);

// The address a listener's setting (BIND, WORKERS_BIND, METRICS_BIND) names: an IP
// address or "localhost". Throws drover::error(invalid_argument) naming the setting for a
// host name, so that a start can refuse it before it opens anything else.
boost::asio::ip::address listen_address(const std::string& bind, std::string_view setting);

// The IP address of the connection's peer as text, as handlers get it; empty when the
// connection is already gone. For upgrade and stream hooks, which get the stream.
std::string peer_address(const boost::beast::tcp_stream& stream);

// Session loop (one coroutine per connection):
//  1. read a request's header within read_timeout (a kept-alive connection may first
//     wait idle_timeout for the request's first byte);
//  2. unless the upgrade or stream hook wants it, ask the planner for its plan
//     (request_plan.hpp). A refusal is answered at once: the body is never read, and
//     when one was announced the connection closes;
//  3. read the body, limited to the plan's body limit; beyond it 413; within read_timeout
//     plus a second per 32 KiB that has arrived. The hooks'
//     requests take none: one announced is refused 413 unread. An upload first reserves its bytes (upload_budget.hpp):
//     503 when the budget is full, 429 when its client's share is;
//  4. a WebSocket upgrade the upgrade hook accepts, or a request the stream hook
//     accepts, takes the connection over; everything else goes to the plan's respond;
//  5. write the reply and loop while keep-alive.
// Malformed requests get a JSON 400 and the connection is closed. Whenever a body is
// refused unread, what the client still sends is read and dropped for a moment, so
// that the client, busy sending, sees the answer rather than a reset connection.
// Before step 1 a connection over max_connections or max_connections_per_address is
// answered 503 or 429 and closed.
// Thread safety: runs on one executor; not thread-safe.
class http_server {
 public:
  // Answers one request; `client_address` is the peer's IP address as text (the
  // connection's, not a header's), for per-client limits and logs.
  using handler = std::function<boost::asio::awaitable<response>(request, std::string client_address)>;
  // Returns true when it takes over a WebSocket upgrade request.
  using upgrade_filter = std::function<bool(const request&)>;
  using upgrade_handler = std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream, request)>;

  http_server(boost::asio::any_io_executor ex, server_options opts, request_planner plan,
              upgrade_filter wants_upgrade = {}, upgrade_handler on_upgrade = {});
  // For servers that take every request alike: each gets body_limit, none is an upload.
  http_server(boost::asio::any_io_executor ex, server_options opts, handler h, upgrade_filter wants_upgrade = {},
              upgrade_handler on_upgrade = {});
  ~http_server();

  // Lets `on_stream` take over the connection of a plain request `wants_stream` accepts,
  // for replies that go on for long, such as a server-sent event stream.
  void set_stream_hook(upgrade_filter wants_stream, upgrade_handler on_stream);

  // Binds and listens. Throws drover::error(invalid_argument) naming the address and port
  // ("cannot listen on 127.0.0.1:5000: address already in use ...") when `bind` is not an
  // IP address or the socket cannot be bound (taken, not this machine's, privileged).
  void start();
  // Stops accepting; requests being answered go on, and their replies close their
  // connections.
  void stop();
  // After stop(): returns once every request being read or answered has its reply
  // written (a request whose body was still arriving gets 503 "shutting down"), or at
  // `deadline`. Whatever the handlers need (queues, the database) must stay open
  // until then.
  boost::asio::awaitable<void> finish_answers(std::chrono::steady_clock::time_point deadline);
  std::uint16_t port() const;

  // Connections being served, and upload bytes reserved, right now.
  std::size_t connection_count() const { return connections_.open(); }
  std::size_t body_bytes_in_flight() const { return uploads_.used(); }

 private:
  // A request being read or answered, for finish_answers() to wait for.
  struct answering_count {
    http_server& server;
    explicit answering_count(http_server& s) : server(s) { ++server.answering_; }
    answering_count(const answering_count&) = delete;
    answering_count& operator=(const answering_count&) = delete;
    ~answering_count() {
      if (--server.answering_ == 0 && server.answers_finished_) server.answers_finished_->cancel();
    }
  };

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket, connection_limits::slot slot,
                                       std::string client_address);
  boost::asio::awaitable<void> refuse(boost::asio::ip::tcp::socket socket, connection_limits::verdict why);
  // Whether the upgrade or the stream hook takes this request over.
  enum class takeover { none, upgrade, stream };
  takeover taken_over(const request& header) const;
  // How a reply the server makes itself is written: `drain` reads away what the client
  // still sends after it (so that it reads the answer rather than a reset), for at most
  // `linger` and `drain_bytes`; a zero `write_time` is the read timeout.
  struct own_reply_rule {
    bool drain = false;
    std::chrono::milliseconds write_time{0};
    std::chrono::milliseconds linger{std::chrono::seconds(2)};
    std::size_t drain_bytes = 64 * 1024 * 1024;
  };
  // Writes a reply no route made (a refusal, a parse error, shutting down), counted in
  // opts_.metrics under route "refused"; the connection closes after it. Its arguments
  // are values: the coroutine runs when awaited, after the caller's temporaries are gone.
  boost::asio::awaitable<void> write_own_reply(boost::beast::tcp_stream& stream, http::verb method, response res,
                                               std::chrono::steady_clock::time_point started, own_reply_rule rule);
  // Refusals answered at once; beyond, refused connections are closed unanswered.
  std::size_t max_refusing() const { return std::max<std::size_t>(opts_.max_connections, 64); }

  boost::asio::any_io_executor ex_;
  server_options opts_;
  request_planner planner_;
  upgrade_filter wants_upgrade_;
  upgrade_handler on_upgrade_;
  upgrade_filter wants_stream_;
  upgrade_handler on_stream_;
  boost::asio::ip::tcp::acceptor acceptor_;
  connection_limits connections_;
  upload_budget uploads_;
  std::size_t refusing_ = 0;                               // refuse() coroutines running
  std::size_t answering_ = 0;                              // requests being read, answered or replied to
  boost::asio::steady_timer* answers_finished_ = nullptr;  // finish_answers()'s wait
  bool stopped_ = false;
};

}  // namespace drover::httpd
