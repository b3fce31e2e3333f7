// polling_harness.hpp - drives a socketio::server through handle_polling on an
// io_context, with no socket: each call builds an HTTP request, runs the handler
// until it answers, and returns the response. Used by the transport, session and
// server tests.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "api/socketio/server.hpp"

namespace drover::api::socketio::testing {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

inline options quiet_options() {
  options o;
  // Long enough that no ping lands in the middle of a test that is not about pings.
  o.ping_interval = std::chrono::seconds(30);
  o.ping_timeout = std::chrono::seconds(30);
  return o;
}

inline request make_request(http::verb method, std::string target, std::string body = {}) {
  request req{method, target, 11};
  req.set(http::field::host, "localhost:3000");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

inline std::string polling_target(const std::string& sid) {
  return "/socket.io/?EIO=4&transport=polling&t=x&sid=" + sid;
}

// A request in flight: done once the server answered.
struct pending {
  bool done = false;
  response res;
};

class polling_harness {
 public:
  explicit polling_harness(options o = quiet_options()) : server(io.get_executor(), std::move(o)) {}

  // Starts a request from `address` without waiting for its answer.
  std::shared_ptr<pending> start(request req, std::string address = "127.0.0.1") {
    auto p = std::make_shared<pending>();
    auto call = server.handle_polling(std::move(req), std::move(address));
    boost::asio::co_spawn(io, std::move(call), [p](std::exception_ptr e, response res) {
      if (e) std::rethrow_exception(e);
      p->res = std::move(res);
      p->done = true;
    });
    resume();
    io.poll();
    return p;
  }

  // Runs the io_context until `p` is answered or `limit` passes.
  bool wait(const std::shared_ptr<pending>& p, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!p->done && std::chrono::steady_clock::now() < deadline) {
      resume();
      io.run_one_for(std::chrono::milliseconds(10));
    }
    return p->done;
  }

  // Runs the io_context for a while, e.g. to let timers fire.
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) {
      resume();
      io.run_one_until(deadline);
    }
  }

  // An io_context that ran out of work counts as stopped until restarted; with no
  // session open (no timers) that happens between any two requests.
  void resume() {
    if (io.stopped()) io.restart();
  }

  response send(request req, std::string address = "127.0.0.1") {
    auto p = start(std::move(req), std::move(address));
    if (!wait(p)) throw std::runtime_error("no answer within 5 s");
    return std::move(p->res);
  }

  // The handshake, with an Authorization header when one is given; returns the sid.
  std::string open(std::string_view authorization = {}) {
    auto req = make_request(http::verb::get, "/socket.io/?EIO=4&transport=polling&t=x");
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    auto res = send(std::move(req));
    const std::string& body = res.body();
    if (body.empty() || body[0] != '0') throw std::runtime_error("bad handshake: " + body);
    return std::string(boost::json::parse(body.substr(1)).at("sid").as_string());
  }

  // A GET that must answer within `limit`.
  std::string get(const std::string& sid, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto p = start(make_request(http::verb::get, polling_target(sid)));
    if (!wait(p, limit)) throw std::runtime_error("GET not answered");
    return p->res.body();
  }

  response post(const std::string& sid, std::string body) {
    return send(make_request(http::verb::post, polling_target(sid), std::move(body)));
  }

  // Handshake plus Socket.IO CONNECT; returns {sid, client id}.
  std::pair<std::string, client_id> connect() {
    auto sid = open();
    post(sid, "40");
    const auto reply = get(sid);  // 40{"sid":"..."}
    if (reply.rfind("40{", 0) != 0) throw std::runtime_error("bad connect reply: " + reply);
    return {sid, std::string(boost::json::parse(reply.substr(2)).at("sid").as_string())};
  }

  boost::asio::io_context io;
  socketio::server server;
};

}  // namespace drover::api::socketio::testing
