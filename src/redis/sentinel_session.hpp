// sentinel_session.hpp - one connection to one sentinel: connect, AUTH, commands, messages.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "drover/redis_options.hpp"
#include "redis/command.hpp"
#include "redis/reply.hpp"
#include "redis/transport.hpp"

namespace drover::redis {

// "host:port", "[v6]:port" for messages.
std::string endpoint_text(const redis_endpoint& e);

// The names a sentinel's certificate may carry, tried in turn ("" is the sentinel's host
// as written): REDIS_SENTINEL_TLS_SERVER_NAME when it is set; else the host, then
// REDIS_TLS_SERVER_NAME, which sentinels were checked against before they had a name of
// their own (a certificate shared with the data nodes, which an upgrade must not refuse).
std::vector<std::string> sentinel_tls_names(const redis_options& opts);

// A short-lived client of one sentinel, for a question (ask_sentinels) or a subscription
// (sentinel_watch). Every failure throws std::runtime_error saying what failed.
// Thread safety: none; use it from one coroutine.
class sentinel_session {
 public:
  sentinel_session(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls);
  ~sentinel_session();
  sentinel_session(const sentinel_session&) = delete;
  sentinel_session& operator=(const sentinel_session&) = delete;

  // From now until disarm(), closes the stream after `limit`: what is pending then fails
  // with "no answer in N ms".
  void arm(std::chrono::milliseconds limit);
  void disarm();

  // Connects (TLS as opts.tls says, the certificate checked against `tls_name`, or the
  // sentinel's host when it is empty) and authenticates with the sentinel password if any.
  boost::asio::awaitable<void> open(const redis_endpoint& sentinel, const redis_options& opts, std::string tls_name);
  // Sends `cmds` and returns their replies (errors as values).
  boost::asio::awaitable<std::vector<reply>> call(std::vector<command> cmds);
  // Sends `cmds` only; their replies come from next().
  boost::asio::awaitable<void> send(std::vector<command> cmds);
  // The next reply or pushed message.
  boost::asio::awaitable<reply> next();
  // Closes the stream; pending reads fail.
  void close();

 private:
  [[noreturn]] void failed(const std::string& what);
  std::shared_ptr<transport> stream_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> timed_out_;
  std::chrono::milliseconds limit_{0};
  bool tls_ = false;    // whether the session is over TLS (open()'s options)
  bool heard_ = false;  // a byte from the sentinel: an ended session is no longer the handshake's
  void* reader_;        // redisReader*
};

// A session open to `sentinel` and armed with opts.connect_timeout: its certificate is
// checked against each of sentinel_tls_names in turn while it names another; the last
// failure is thrown. The one way ask_sentinels and sentinel_watch connect.
boost::asio::awaitable<std::unique_ptr<sentinel_session>> open_sentinel_session(
    boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls, const redis_endpoint& sentinel,
    const redis_options& opts);

}  // namespace drover::redis
