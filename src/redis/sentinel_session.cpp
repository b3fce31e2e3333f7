// sentinel_session.cpp - the sentinel client: a stream, a deadline, a reply reader.
#include "redis/sentinel_session.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <stdexcept>

namespace net = boost::asio;
using net::ip::tcp;

namespace drover::redis {

std::string endpoint_text(const redis_endpoint& e) {
  return e.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", e.host, e.port)
                                               : fmt::format("{}:{}", e.host, e.port);
}

sentinel_session::sentinel_session(net::any_io_executor ex, std::shared_ptr<net::ssl::context> tls)
    : stream_(std::make_shared<transport>(ex, std::move(tls))),
      timer_(ex),
      timed_out_(std::make_shared<bool>(false)),
      reader_(create_reader()) {}

sentinel_session::~sentinel_session() {
  close();
  redisReaderFree(static_cast<redisReader*>(reader_));
}

void sentinel_session::arm(std::chrono::milliseconds limit) {
  limit_ = limit;
  timer_.expires_after(limit);
  // The handler holds what it touches: it may run after this session is gone.
  timer_.async_wait([stream = stream_, flag = timed_out_](boost::system::error_code ec) {
    if (ec) return;
    *flag = true;
    stream->close();
  });
}

void sentinel_session::disarm() { timer_.cancel(); }

void sentinel_session::close() {
  timer_.cancel();
  stream_->close();
}

void sentinel_session::failed(const std::string& what) {
  if (*timed_out_) throw std::runtime_error(fmt::format("no answer in {} ms", limit_.count()));
  throw std::runtime_error(what);
}

namespace {

// Whether a failed open() was the certificate naming another host (another name may fit).
bool is_name_mismatch(std::string_view failure) {
  return failure.find("mismatch (expected name") != std::string_view::npos;
}

}  // namespace

std::vector<std::string> sentinel_tls_names(const redis_options& opts) {
  if (!opts.sentinel.tls_server_name.empty()) return {opts.sentinel.tls_server_name};
  if (!opts.tls.server_name.empty()) return {std::string(), opts.tls.server_name};
  return {std::string()};
}

net::awaitable<void> sentinel_session::open(const redis_endpoint& sentinel, const redis_options& opts,
                                            std::string tls_name) {
  tls_ = opts.tls.enabled;
  tcp::resolver resolver(co_await net::this_coro::executor);
  boost::system::error_code ec;
  auto endpoints = co_await resolver.async_resolve(sentinel.host, std::to_string(sentinel.port),
                                                   net::redirect_error(net::use_awaitable, ec));
  if (ec) failed(ec.message());
  co_await net::async_connect(stream_->socket(), endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) failed(ec.message());
  std::string tls_failure;
  try {
    // The name asked for, never the data nodes' alone (sentinel_tls_names).
    auto tls = opts.tls;
    tls.server_name = std::move(tls_name);
    co_await stream_->handshake(tls, sentinel.host, "REDIS_SENTINEL_TLS_SERVER_NAME, sentinel_tls_server_name");
  } catch (const std::exception& e) {
    tls_failure = e.what();
  }
  if (!tls_failure.empty()) failed(tls_failure);
  if (opts.sentinel.password.empty()) co_return;
  command auth{"AUTH"};
  if (!opts.sentinel.username.empty()) auth.push(opts.sentinel.username);
  std::vector<command> cmds;
  cmds.push_back(std::move(auth.push(opts.sentinel.password)));
  auto replies = co_await call(std::move(cmds));
  if (replies.front().is_error()) throw std::runtime_error(replies.front().str);
}

net::awaitable<void> sentinel_session::send(std::vector<command> cmds) {
  std::string out;
  for (const auto& c : cmds) encode(c, out);
  boost::system::error_code ec;
  co_await stream_->async_write(net::buffer(out), net::redirect_error(net::use_awaitable, ec));
  if (ec) failed("write failed: " + describe_stream_error(ec) + missing_client_certificate_hint(ec, tls_, heard_));
}

net::awaitable<std::vector<reply>> sentinel_session::call(std::vector<command> cmds) {
  const auto count = cmds.size();
  co_await send(std::move(cmds));
  std::vector<reply> replies;
  while (replies.size() < count) {
    auto r = co_await next();  // named: GCC 12 destroys a temporary in a co_await expression twice
    replies.push_back(std::move(r));
  }
  co_return replies;
}

net::awaitable<reply> sentinel_session::next() {
  auto* reader = static_cast<redisReader*>(reader_);
  char buf[4096];
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK) failed("bad reply");
    if (raw) {
      co_return take_reply(raw);
    }
    boost::system::error_code ec;
    auto n = co_await stream_->async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    if (ec) failed("read failed: " + describe_stream_error(ec) + missing_client_certificate_hint(ec, tls_, heard_));
    heard_ = true;
    if (redisReaderFeed(reader, buf, n) != REDIS_OK) failed("bad reply");
  }
}

net::awaitable<std::unique_ptr<sentinel_session>> open_sentinel_session(net::any_io_executor ex,
                                                                        std::shared_ptr<net::ssl::context> tls,
                                                                        const redis_endpoint& sentinel,
                                                                        const redis_options& opts) {
  const auto names = sentinel_tls_names(opts);
  for (std::size_t n = 0;; ++n) {
    auto session = std::make_unique<sentinel_session>(ex, tls);
    session->arm(opts.connect_timeout);
    std::string mismatch;
    try {
      auto opening = session->open(sentinel, opts, names[n]);  // named: GCC 12 and temporaries in co_await
      co_await std::move(opening);
    } catch (const std::exception& e) {
      if (n + 1 >= names.size() || !is_name_mismatch(e.what())) throw;
      mismatch = e.what();  // no co_await in a handler: the next name is tried below
    }
    if (mismatch.empty()) co_return session;
  }
}

}  // namespace drover::redis
