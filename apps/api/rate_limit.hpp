// rate_limit.hpp - how many requests a user or a client address may make on a limited
// route, read from the environment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace drover::api {

// One token bucket: `burst` requests at once, then `per_second` on average (fractions
// allowed: 10 per minute is 0.1666...). A limit of 0 is no limit.
struct rate_limit {
  double per_second = 0;   // refill rate; 0: not limited
  std::int64_t burst = 0;  // capacity; at least 1 when limited

  bool enabled() const { return per_second > 0 && burst > 0; }

  // Parses "<count>/<unit>,<burst>" with unit s, m or h ("2/s,10": 2 per second, 10 at
  // once; "30/m,10"); "0" or "off" disables. Throws std::invalid_argument naming
  // `setting` and what is wrong.
  static rate_limit parse(std::string_view setting, std::string_view text);
  // The setting's text form, for logs ("2/s,10", "off").
  std::string describe() const;
};

// The limits of the API's costly routes, per user (the verified identity) and per client
// address. Defaults fit a 2-core machine: a chat send queues a model call, an upload a
// text extraction, so a user gets a short burst and then a steady trickle; an address,
// which may be a NAT in front of several users, gets a few times more.
struct rate_limits {
  rate_limit send_per_user{1, 10};               // RATE_LIMIT_SEND_USER="1/s,10"
  rate_limit send_per_address{5, 30};            // RATE_LIMIT_SEND_ADDRESS="5/s,30"
  rate_limit upload_per_user{10.0 / 60, 5};      // RATE_LIMIT_UPLOAD_USER="10/m,5"
  rate_limit upload_per_address{30.0 / 60, 15};  // RATE_LIMIT_UPLOAD_ADDRESS="30/m,15"
  // Conversations a user starts by joining their Socket.IO room (each is a database row
  // that outlives the socket); joining one that exists costs nothing.
  rate_limit conversation_per_user{10.0 / 60, 20};  // RATE_LIMIT_CONVERSATION_USER="10/m,20"

  // RATE_LIMIT_* over the defaults. Throws std::invalid_argument naming the variable.
  static rate_limits from_env();
};

}  // namespace drover::api
