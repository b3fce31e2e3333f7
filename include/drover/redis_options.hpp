// redis_options.hpp - where Redis is and how drover talks to it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace drover {

struct redis_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username;  // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  int db = 0;

  // A connection attempt that takes longer fails with errc::redis_unavailable.
  std::chrono::milliseconds connect_timeout{3000};
  // A command without a reply for this long fails with errc::redis_timeout and
  // the connection is dropped (replies are ordered, so the rest are lost too).
  std::chrono::milliseconds command_timeout{10000};
  // Reconnects back off exponentially from min to max while Redis stays away;
  // calls made meanwhile fail at once instead of waiting.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};

  // Parses redis://[user:password@]host[:port][/db]. Throws drover::error
  // (invalid_argument) naming what is wrong.
  static redis_options from_url(std::string_view url);

  // REDIS_URL if set, else REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, else defaults.
  static redis_options from_env();

  // host:port, for messages (never the password).
  std::string endpoint() const;
};

}  // namespace drover
