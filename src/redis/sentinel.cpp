// sentinel.cpp - one short exchange per sentinel: connect, AUTH, ask for the master.
#include "redis/sentinel.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "redis/command.hpp"
#include "redis/reply.hpp"
#include "redis/transport.hpp"

namespace net = boost::asio;
using net::ip::tcp;

namespace drover::redis {

namespace {

std::string where(const redis_endpoint& e) {
  return e.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", e.host, e.port)
                                               : fmt::format("{}:{}", e.host, e.port);
}

// Writes `cmds` and reads as many replies. Throws std::runtime_error on any failure.
net::awaitable<std::vector<reply>> round_trip(transport& t, const std::vector<command>& cmds) {
  std::string out;
  for (const auto& c : cmds) encode(c, out);
  boost::system::error_code ec;
  co_await t.async_write(net::buffer(out), net::redirect_error(net::use_awaitable, ec));
  if (ec) throw std::runtime_error("write failed: " + describe_stream_error(ec));
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(static_cast<redisReader*>(create_reader()),
                                                              redisReaderFree);
  std::vector<reply> replies;
  char buf[4096];
  while (replies.size() < cmds.size()) {
    auto n = co_await t.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    if (ec) throw std::runtime_error("read failed: " + describe_stream_error(ec));
    if (redisReaderFeed(reader.get(), buf, n) != REDIS_OK) throw std::runtime_error("bad reply");
    for (void* raw = nullptr; replies.size() < cmds.size(); raw = nullptr) {
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) throw std::runtime_error("bad reply");
      if (!raw) break;
      replies.push_back(from_hiredis(raw));
      freeReplyObject(raw);
    }
  }
  co_return replies;
}

net::awaitable<redis_endpoint> ask_one(net::any_io_executor ex, const redis_endpoint& sentinel,
                                       const redis_options& opts, std::shared_ptr<net::ssl::context> tls) {
  auto t = std::make_shared<transport>(ex, std::move(tls));
  net::steady_timer timer(ex);
  // Shared: the timer's handler may run after this frame is gone.
  auto timed_out = std::make_shared<bool>(false);
  timer.expires_after(opts.connect_timeout);
  timer.async_wait([t, timed_out](boost::system::error_code ec) {
    if (ec) return;
    *timed_out = true;
    t->close();
  });
  std::exception_ptr failure;
  redis_endpoint master;
  try {
    tcp::resolver resolver(ex);
    auto endpoints = co_await resolver.async_resolve(sentinel.host, std::to_string(sentinel.port), net::use_awaitable);
    co_await net::async_connect(t->socket(), endpoints, net::use_awaitable);
    co_await t->handshake(opts.tls, sentinel.host);
    std::vector<command> cmds;
    if (!opts.sentinel.password.empty()) {
      command auth{"AUTH"};
      if (!opts.sentinel.username.empty()) auth.push(opts.sentinel.username);
      cmds.push_back(std::move(auth.push(opts.sentinel.password)));
    }
    cmds.push_back(command{"SENTINEL", "get-master-addr-by-name"}.push(opts.sentinel.master_name));
    auto replies = co_await round_trip(*t, cmds);
    for (const auto& r : replies) {
      if (r.is_error()) throw std::runtime_error(r.str);
    }
    const auto& addr = replies.back();
    if (addr.is_nil()) throw std::runtime_error(fmt::format("master '{}' unknown", opts.sentinel.master_name));
    if (!addr.is_array() || addr.elements.size() != 2) throw std::runtime_error("unexpected reply");
    master.host = addr.elements[0].as_string();
    auto port = addr.elements[1].as_int();
    if (!port || *port <= 0 || *port > 65535) throw std::runtime_error("unexpected port in reply");
    master.port = static_cast<std::uint16_t>(*port);
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  timer.cancel();
  t->close();
  if (*timed_out) throw std::runtime_error(fmt::format("no answer in {} ms", opts.connect_timeout.count()));
  if (failure) std::rethrow_exception(failure);
  co_return master;
}

}  // namespace

net::awaitable<redis_endpoint> ask_sentinels(net::any_io_executor ex, const redis_options& opts,
                                             std::shared_ptr<net::ssl::context> tls) {
  std::string why;
  for (const auto& sentinel : opts.sentinel.sentinels) {
    std::string failed;
    try {
      auto call = ask_one(ex, sentinel, opts, tls);  // named: GCC 12 and temporaries in co_await
      auto master = co_await std::move(call);
      co_return master;
    } catch (const std::exception& e) {
      failed = e.what();
    }
    why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", where(sentinel), failed);
  }
  throw std::runtime_error(fmt::format("no sentinel named the master '{}' ({})", opts.sentinel.master_name, why));
}

}  // namespace drover::redis
