// socketio_demo.cpp - a small HTTP server with the Socket.IO endpoint, for the Node
// socket.io-client tests, wired into httpd::http_server exactly as the API app wires it.
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

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <string>

#include "api/socketio/server.hpp"
#include "httpd/http_server.hpp"

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace socketio = drover::api::socketio;
namespace httpd = drover::httpd;

namespace {

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

  // The HTTP wiring is the API's: Socket.IO's polling requests and WebSocket upgrades
  // under /socket.io/, everything else the application's (here a 404).
  httpd::server_options ho;
  ho.bind = "127.0.0.1";
  ho.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  ho.body_limit = sio.body_limit();
  httpd::http_server http(
      io.get_executor(), ho,
      [&sio](httpd::request req) -> net::awaitable<httpd::response> {
        if (socketio::server::handles(req.target())) co_return co_await sio.handle_polling(std::move(req));
        co_return httpd::error_response(req, http::status::not_found, "not found");
      },
      [](const httpd::request& req) { return socketio::server::handles(req.target()); },
      [&sio](boost::beast::tcp_stream stream, httpd::request req) {
        return sio.run_websocket(std::move(stream), std::move(req));
      });
  http.start();
  std::cout << "listening " << http.port() << std::endl;

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    http.stop();
    sio.close_all();
  });
  io.run();
  return 0;
}
