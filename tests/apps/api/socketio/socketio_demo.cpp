// socketio_demo.cpp - a small HTTP server with the Socket.IO endpoint, for the Node
// socket.io-client tests, wired into httpd::http_server exactly as the API app wires it.
//
// Usage: drover_socketio_demo <port> [ping_interval_ms ping_timeout_ms
//                                      [max_sessions_per_address connect_timeout_ms]]
// Prints "listening <port>" when ready (port 0 picks a free one), then one line
// per connect and disconnect. SIGINT/SIGTERM: close_all(), then exit.
//
// Events (all answer through the ack when the client asks for one):
//   echo [args...]        -> ack(args...)
//   subscribe-job <id>    -> join "job:<id>", then job-progress {jobId, progress: 42} to that room
//   stats                 -> ack({connections, connects, disconnects, reasons: [...]})
//   drop-me               -> the server drops the connection (the client reconnects)
//   disconnect-me         -> the server disconnects the client (no reconnection)
//   whoami                -> ack(user or null)
//   join-room <name>      -> ack(join's answer: true, or false over the rooms cap / name length)
//   flood {bytes, intervalMs, max, until}
//                         -> every intervalMs emits tick [n, <bytes of x>] to room "busy",
//                            until at most `until` members are left or `max` were sent;
//                            then ack({sent, members})
//
// Authentication (the authenticator hook): the token is auth.token, or the
// Authorization header's "Bearer <token>". "good" is user alice, "user:<name>" is
// <name>, no token at all is a fresh anonymous user (so that token-less tests are
// not limited per user); anything else is refused with "invalid token".
//
// Limits are the defaults of socketio::options and httpd::server_options, except the
// connections and sessions per address: every test client comes from 127.0.0.1 (1000
// each, unless the command line sets the sessions').
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <string>

#include "api/socketio/auth_token.hpp"
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

socketio::auth_result authenticate(const json::value& auth, std::string_view authorization) {
  static std::size_t anonymous = 0;
  const bool offered = (auth.is_object() && auth.as_object().contains("token")) || !authorization.empty();
  if (!offered) return socketio::auth_result::accept("anonymous-" + std::to_string(++anonymous));
  const auto token = socketio::bearer_token(auth, authorization);
  if (token == "good") return socketio::auth_result::accept("alice");
  if (token && token->starts_with("user:") && token->size() > 5) return socketio::auth_result::accept(token->substr(5));
  return socketio::auth_result::refuse("invalid token");
}

std::int64_t int_field(const json::array& args, std::string_view key, std::int64_t fallback) {
  if (args.empty() || !args[0].is_object()) return fallback;
  const auto* v = args[0].as_object().if_contains(key);
  return v && v->is_int64() ? v->get_int64() : fallback;
}

// The flood event: pushes ticks to room "busy" at a steady pace.
net::awaitable<void> flood(socketio::server& sio, json::array args, std::optional<socketio::ack_fn> ack) {
  const auto bytes = static_cast<std::size_t>(int_field(args, "bytes", 8192));
  const auto interval = std::chrono::milliseconds(int_field(args, "intervalMs", 2));
  const auto max = int_field(args, "max", 1000);
  const auto until = static_cast<std::size_t>(int_field(args, "until", 0));
  const std::string payload(bytes, 'x');
  net::steady_timer timer(co_await net::this_coro::executor);
  std::int64_t sent = 0;
  std::size_t members = 0;
  while (sent < max) {
    members = sio.emit_to_room("busy", "tick", {sent, payload});
    ++sent;
    if (members <= until) break;
    timer.expires_after(interval);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));  // cancelled only at exit
  }
  if (ack) (*ack)({json::object{{"sent", sent}, {"members", members}}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: drover_socketio_demo <port> [ping_interval_ms ping_timeout_ms "
                 "[max_sessions_per_address connect_timeout_ms]]\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  socketio::options opts;
  if (argc >= 4) {
    opts.ping_interval = std::chrono::milliseconds(std::stoi(argv[2]));
    opts.ping_timeout = std::chrono::milliseconds(std::stoi(argv[3]));
  }
  opts.max_sessions_per_address = 1000;
  if (argc >= 6) {
    opts.max_sessions_per_address = std::stoul(argv[4]);
    opts.connect_timeout = std::chrono::milliseconds(std::stoi(argv[5]));
  }
  opts.authenticate = authenticate;

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
                       {"sessions", sio.session_count()},
                       {"connects", connects},
                       {"disconnects", disconnects},
                       {"reasons", reasons}};
    (*ack)({stats});
  });
  sio.on("whoami", [&](socketio::client_id id, json::array, std::optional<socketio::ack_fn> ack) {
    if (!ack) return;
    const auto user = sio.user_of(id);
    (*ack)({user ? json::value(*user) : json::value(nullptr)});
  });
  sio.on("join-room", [&](socketio::client_id id, json::array args, std::optional<socketio::ack_fn> ack) {
    const bool joined = !args.empty() && args[0].is_string() && sio.join(id, std::string(args[0].get_string()));
    if (ack) (*ack)({joined});
  });
  sio.on("flood", [&](socketio::client_id, json::array args, std::optional<socketio::ack_fn> ack) {
    net::co_spawn(io, flood(sio, std::move(args), std::move(ack)), net::detached);
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
  ho.max_connections_per_address = 1000;  // the tests' 500 idle sockets all come from 127.0.0.1
  httpd::http_server http(
      io.get_executor(), ho,
      [&sio](httpd::request req, std::string client) -> net::awaitable<httpd::response> {
        if (socketio::server::handles(req.target())) {
          co_return co_await sio.handle_polling(std::move(req), std::move(client));
        }
        co_return httpd::error_response(req, http::status::not_found, "not found");
      },
      [](const httpd::request& req) { return socketio::server::handles(req.target()); },
      [&sio](boost::beast::tcp_stream stream, httpd::request req) {
        auto client = httpd::peer_address(stream);
        return sio.run_websocket(std::move(stream), std::move(req), std::move(client));
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
