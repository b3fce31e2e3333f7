// tcp_proxy.cpp - see tcp_proxy.hpp.
#include "support/tcp_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace drover::test {

namespace {

constexpr std::string_view cut_marker = "drover-test-proxy-cut";
// How much of a chunk is kept to find a needle split across two reads.
constexpr std::size_t carried = 256;
constexpr auto on_tuple = net::as_tuple(net::use_awaitable);

std::string echo_marker() {
  return "*2\r\n$4\r\nECHO\r\n$" + std::to_string(cut_marker.size()) + "\r\n" + std::string(cut_marker) + "\r\n";
}

}  // namespace

struct tcp_proxy::session {
  session(tcp::socket c, net::io_context& io) : client(std::move(c)), server(io) {}
  void close() {
    boost::system::error_code ec;
    client.close(ec);
    server.close(ec);
  }
  tcp::socket client, server;
  bool cutting = false;  // the trigger went upstream: relay nothing more to the client
};

tcp_proxy::tcp_proxy(std::uint16_t upstream_port)
    : acceptor_(io_, tcp::endpoint(net::ip::address_v4::loopback(), 0)), upstream_port_(upstream_port) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

tcp_proxy::~tcp_proxy() {
  io_.stop();
  thread_.join();
}

void tcp_proxy::lose_reply_to(std::string needle) {
  std::lock_guard lock(mutex_);
  needle_ = std::move(needle);
}

bool tcp_proxy::take_trigger(const std::string& bytes) {
  std::lock_guard lock(mutex_);
  if (needle_.empty() || bytes.find(needle_) == std::string::npos) return false;
  needle_.clear();
  return true;
}

void tcp_proxy::hold_request_with(std::string needle, std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  hold_needle_ = std::move(needle);
  hold_ = d;
}

std::chrono::milliseconds tcp_proxy::take_hold(const std::string& bytes) {
  std::lock_guard lock(mutex_);
  if (hold_needle_.empty() || bytes.find(hold_needle_) == std::string::npos) return {};
  hold_needle_.clear();
  return hold_;
}

void tcp_proxy::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket client) {
    if (ec) return;
    auto s = std::make_shared<session>(std::move(client), io_);
    boost::system::error_code connect_ec;
    s->server.connect(tcp::endpoint(net::ip::address_v4::loopback(), upstream_port_), connect_ec);  // loopback: at once
    if (connect_ec) {
      s->close();
    } else {
      net::co_spawn(io_, client_to_server(s), net::detached);
      net::co_spawn(io_, server_to_client(s), net::detached);
    }
    accept();
  });
}

net::awaitable<void> tcp_proxy::client_to_server(std::shared_ptr<session> s) {
  std::array<char, 65536> buf;
  std::string tail;
  for (;;) {
    auto [ec, n] = co_await s->client.async_read_some(net::buffer(buf), on_tuple);
    if (ec) break;
    std::string chunk(buf.data(), n);
    if (take_trigger(tail + chunk)) {
      // Forward the request and an ECHO behind it; take nothing more from this client.
      s->cutting = true;
      chunk += echo_marker();
      co_await net::async_write(s->server, net::buffer(chunk), on_tuple);
      co_return;
    }
    if (const auto hold = take_hold(tail + chunk); hold.count() > 0) {
      net::steady_timer held(io_, hold);
      co_await held.async_wait(on_tuple);
    }
    auto [wec, written] = co_await net::async_write(s->server, net::buffer(chunk), on_tuple);
    if (wec) break;
    tail = (tail + chunk).substr((tail.size() + chunk.size()) > carried ? tail.size() + chunk.size() - carried : 0);
  }
  s->close();
}

net::awaitable<void> tcp_proxy::server_to_client(std::shared_ptr<session> s) {
  std::array<char, 65536> buf;
  std::string held;  // what Redis answered after the trigger: never relayed
  for (;;) {
    auto [ec, n] = co_await s->server.async_read_some(net::buffer(buf), on_tuple);
    if (ec) break;
    if (s->cutting) {
      held.append(buf.data(), n);
      // The ECHO's answer follows the request's: Redis has run it. Now cut.
      if (held.find(cut_marker) != std::string::npos) {
        lost_ = true;
        break;
      }
      continue;
    }
    auto [wec, written] = co_await net::async_write(s->client, net::buffer(buf.data(), n), on_tuple);
    if (wec) break;
  }
  s->close();
}

}  // namespace drover::test
