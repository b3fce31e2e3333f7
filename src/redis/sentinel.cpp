// sentinel.cpp - asking the sentinels in turn where the master is.
#include "redis/sentinel.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "redis/sentinel_session.hpp"

namespace net = boost::asio;

namespace drover::redis {

namespace {

net::awaitable<redis_endpoint> ask_one(net::any_io_executor ex, const redis_endpoint& sentinel,
                                       const redis_options& opts, std::shared_ptr<net::ssl::context> tls) {
  auto opening = open_sentinel_session(ex, tls, sentinel, opts);  // named: GCC 12 and temporaries in co_await
  auto opened = co_await std::move(opening);
  auto& session = *opened;
  std::vector<command> cmds;
  cmds.push_back(command{"SENTINEL", "get-master-addr-by-name"}.push(opts.sentinel.master_name));
  auto replies = co_await session.call(std::move(cmds));
  session.disarm();
  const auto& addr = replies.front();
  if (addr.is_error()) throw std::runtime_error(addr.str);
  if (addr.is_nil()) throw std::runtime_error(fmt::format("master '{}' unknown", opts.sentinel.master_name));
  if (!addr.is_array() || addr.elements.size() != 2) throw std::runtime_error("unexpected reply");
  auto port = addr.elements[1].as_int();
  if (!port || *port <= 0 || *port > 65535) throw std::runtime_error("unexpected port in reply");
  co_return redis_endpoint{addr.elements[0].as_string(), static_cast<std::uint16_t>(*port)};
}

}  // namespace

net::awaitable<sentinel_answer> ask_sentinels(net::any_io_executor ex, const redis_options& opts,
                                              std::shared_ptr<net::ssl::context> tls, std::size_t first) {
  std::string why;
  // A sentinel that takes TLS only drops a plain client at its first bytes, as a server does.
  bool all_dropped_plain = !opts.tls.enabled;
  const auto& sentinels = opts.sentinel.sentinels;
  for (std::size_t k = 0; k < sentinels.size(); ++k) {
    const auto index = (first + k) % sentinels.size();
    const auto& sentinel = sentinels[index];
    std::string failed;
    try {
      auto call = ask_one(ex, sentinel, opts, tls);  // named: GCC 12 and temporaries in co_await
      auto master = co_await std::move(call);
      co_return sentinel_answer{std::move(master), index};
    } catch (const std::exception& e) {
      failed = e.what();
    }
    why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", endpoint_text(sentinel), failed);
    all_dropped_plain = all_dropped_plain && failed.starts_with("read failed");
  }
  if (all_dropped_plain) why += "; if the sentinels take TLS only, use rediss+sentinel:// (or REDIS_TLS=yes)";
  // The sentinels' password is not the master's: the URL's password goes to the master.
  if (why.find("NOAUTH") != std::string::npos || why.find("WRONGPASS") != std::string::npos ||
      why.find("invalid password") != std::string::npos) {
    why +=
        "; the sentinels want a password of their own: ?sentinel_password=... in the URL (and "
        "?sentinel_username= for an ACL user), or REDIS_SENTINEL_PASSWORD / REDIS_SENTINEL_USERNAME when the "
        "sentinels come from REDIS_URL or REDIS_SENTINELS (a --redis URL takes no variables)";
  }
  throw std::runtime_error(fmt::format("no sentinel named the master '{}' ({})", opts.sentinel.master_name, why));
}

}  // namespace drover::redis
