// tcp_proxy.hpp - a TCP proxy for tests, between clients and a redis-server on loopback,
// that can lose the reply to one request: Redis runs it, the client never hears back.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace drover::test {

// Relays bytes both ways, one upstream connection per client, on its own thread.
//
// lose_reply_to(needle) arms a one-shot cut: the first client request whose bytes contain
// `needle` is forwarded; from then on that connection relays nothing to the client and
// takes nothing more from it; the proxy sends Redis an ECHO behind the request, and when
// the ECHO's answer arrives (so Redis has run the request and answered it), it closes
// both sides. The client sees its connection drop with the request unanswered, exactly
// as when a network fails after the server acted. Other connections are not touched.
//
// hold_request_with(needle, d) arms a one-shot delay: the first client request whose
// bytes contain `needle` reaches Redis `d` later (a slow network, for that one request).
class tcp_proxy {
 public:
  explicit tcp_proxy(std::uint16_t upstream_port);
  ~tcp_proxy();  // closes every connection and joins the thread
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  std::uint16_t port() const { return port_; }
  void lose_reply_to(std::string needle);
  void hold_request_with(std::string needle, std::chrono::milliseconds d);
  // Whether an armed cut has happened (Redis answered the request, the client did not see it).
  bool reply_lost() const { return lost_.load(); }

 private:
  struct session;
  void accept();
  boost::asio::awaitable<void> client_to_server(std::shared_ptr<session> s);
  boost::asio::awaitable<void> server_to_client(std::shared_ptr<session> s);
  // Whether the armed needle is in `bytes`; disarms it when it is.
  bool take_trigger(const std::string& bytes);
  // The armed hold's delay when `bytes` hold its needle (disarming it), else zero.
  std::chrono::milliseconds take_hold(const std::string& bytes);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t upstream_port_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::string needle_;                 // guarded by mutex_; empty when not armed
  std::string hold_needle_;            // guarded by mutex_; empty when not armed
  std::chrono::milliseconds hold_{0};  // guarded by mutex_
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

}  // namespace drover::test
