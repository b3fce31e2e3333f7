// events_command.cpp - `drover events`: the queue's event stream as JSON Lines until
// SIGINT/SIGTERM; a Redis outage is logged and waited out, not an exit.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include <drover/error.hpp>
#include <drover/queue_events.hpp>

#include "cli_support.hpp"
#include "commands.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

struct events_flags {
  common_options common;
  std::string from = "$";
  bool json = true;  // JSON is the only output; --json is accepted for uniform scripts
};

void add_events_options(CLI::App& e, events_flags& f) {
  add_common(&e, f.common);
  add_json_flag(&e, f.json);
  e.add_option("--from", f.from, "stream id to start after ($: only new events, 0: all kept)")->capture_default_str();
}

int run_events(const events_flags& c) {
  net::io_context io;
  queue_events_options o;
  o.prefix = c.common.prefix;
  o.redis = c.common.redis();
  o.last_event_id = c.from;
  queue_events events(io.get_executor(), c.common.queue, o);
  net::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](auto, int) {
    stopping = true;
    events.close();
  });
  run_to_end(io, [&]() -> net::awaitable<void> {
    while (!stopping) {
      bool lost = false;
      try {
        for (const auto& ev : co_await events.next()) std::cout << json::serialize(ev.to_json()) << std::endl;
      } catch (const error& e) {
        if (stopping) break;
        if (!e.is(errc::redis_unavailable) && !e.is(errc::redis_timeout)) throw;
        spdlog::warn("events: {}; retrying", e.what());
        lost = true;
      }
      if (lost) {
        net::steady_timer t(io, std::chrono::milliseconds(500));
        co_await t.async_wait(net::use_awaitable);
      }
    }
  });
  return 0;
}

}  // namespace

command events_command() {
  return make_command<events_flags>("events", "print the queue's events, one JSON object per line, until interrupted",
                                    add_events_options, run_events);
}

}  // namespace drover::cli
