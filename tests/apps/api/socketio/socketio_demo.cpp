// socketio_demo.cpp - a small HTTP server with the Socket.IO endpoint, for the Node
// socket.io-client tests, and an example of wiring socketio::server into a Beast
// HTTP session loop.
//
// Usage: drover_socketio_demo <port> [ping_interval_ms ping_timeout_ms]
// Prints "listening <port>" when ready (port 0 picks a free one), then one line
// per connect and disconnect. SIGINT/SIGTERM: close_all(), then exit.
//
// Events (all answer through the ack when the client asks for one):
//   echo [args...]        -> ack(args...)
//   subscribe-job <id>    -> join "job:<id>", then job-progress {jobId, progress: 42} to that room
//   stats                 -> ack({connections, connects, disconnects, reasons: [...]})
//   drop-me               -> the server drops the connection (the client reconnects)
//   disconnect-me         -> the server disconnects the client (no reconnection)
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "api/socketio/server.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace socketio = drover::api::socketio;
using net::ip::tcp;

namespace {

constexpr std::chrono::seconds read_timeout{30};

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("demo: connection failed: {}", ex.what());
  }
}

http::response<http::string_body> plain(const http::request<http::string_body>& req, http::status status,
                                        std::string body) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// The HTTP session loop: what the API's server does for each connection.
//  1. Read a request with a deadline and a body limit.
//  2. Under /socket.io/: a WebSocket upgrade goes to run_websocket, which keeps the
//     connection; anything else to handle_polling, whose answer may take up to a
//     ping interval (so the write deadline is set after it returns).
//  3. Otherwise: the application's own routes (here a 404).
net::awaitable<void> http_session(beast::tcp_stream stream, socketio::server& sio) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(sio.body_limit());
    stream.expires_after(read_timeout);
    auto read = co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
    const auto ec = std::get<0>(read);
    if (ec == http::error::body_limit) {
      const http::request<http::string_body> dummy{http::verb::post, "/", 11};
      auto res = plain(dummy, http::status::payload_too_large, "");
      res.keep_alive(false);
      stream.expires_after(read_timeout);
      co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
      break;
    }
    if (ec) break;
    auto req = parser.release();

    http::response<http::string_body> res;
    if (socketio::server::handles(req.target())) {
      if (beast::websocket::is_upgrade(req)) {
        co_await sio.run_websocket(std::move(stream), std::move(req));
        co_return;
      }
      res = co_await sio.handle_polling(std::move(req));
    } else {
      res = plain(req, http::status::not_found, "not found\n");
    }
    stream.expires_after(read_timeout);
    auto written = co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
    if (std::get<0>(written) || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> listen(tcp::acceptor& acceptor, socketio::server& sio) {
  for (;;) {
    auto accepted = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (std::get<0>(accepted)) co_return;  // closed at shutdown
    beast::tcp_stream stream(std::move(std::get<1>(accepted)));
    net::co_spawn(acceptor.get_executor(), http_session(std::move(stream), sio), log_exception);
  }
}

std::string job_id_of(const json::array& args) {
  if (args.empty()) return {};
  const auto& v = args[0];
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64() || v.is_uint64()) return json::serialize(v);
  if (v.is_object() && v.as_object().contains("jobId")) {
    const auto& id = v.as_object().at("jobId");
    return id.is_string() ? std::string(id.get_string()) : json::serialize(id);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: drover_socketio_demo <port> [ping_interval_ms ping_timeout_ms]\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  socketio::options opts;
  if (argc >= 4) {
    opts.ping_interval = std::chrono::milliseconds(std::stoi(argv[2]));
    opts.ping_timeout = std::chrono::milliseconds(std::stoi(argv[3]));
  }

  net::io_context io;
  socketio::server sio(io.get_executor(), opts);
  std::size_t connects = 0;
  std::size_t disconnects = 0;
  json::array reasons;

  sio.on_connect([&](socketio::client_id id) {
    ++connects;
    std::cout << "connect " << id << std::endl;
  });
  sio.on_disconnect([&](socketio::client_id id, std::string reason) {
    ++disconnects;
    reasons.emplace_back(reason);
    std::cout << "disconnect " << id << ' ' << reason << std::endl;
  });
  sio.on("echo", [](socketio::client_id, json::array args, std::optional<socketio::ack_fn> ack) {
    if (ack) (*ack)(std::move(args));
  });
  sio.on("subscribe-job", [&](socketio::client_id id, json::array args, std::optional<socketio::ack_fn> ack) {
    const auto job = job_id_of(args);
    if (job.empty()) {
      if (ack) (*ack)({json::object{{"error", "jobId required"}}});
      return;
    }
    sio.join(id, "job:" + job);
    sio.emit_to_room("job:" + job, "job-progress", {json::object{{"jobId", job}, {"progress", 42}}});
    if (ack) (*ack)({json::object{{"ok", true}}});
  });
  sio.on("stats", [&](socketio::client_id, json::array, std::optional<socketio::ack_fn> ack) {
    if (!ack) return;
    json::object stats{{"connections", sio.connection_count()},
                       {"connects", connects},
                       {"disconnects", disconnects},
                       {"reasons", reasons}};
    (*ack)({stats});
  });
  sio.on("drop-me", [&](socketio::client_id id, json::array, std::optional<socketio::ack_fn>) { sio.drop(id); });
  sio.on("disconnect-me",
         [&](socketio::client_id id, json::array, std::optional<socketio::ack_fn>) { sio.disconnect(id); });

  tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1]))});
  std::cout << "listening " << acceptor.local_endpoint().port() << std::endl;
  net::co_spawn(io, listen(acceptor, sio), log_exception);

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    sio.close_all();
  });
  io.run();
  return 0;
}
