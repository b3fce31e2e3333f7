// events_command.cpp - `drover events`: the queue's event stream (or, with --shards, its
// shards' streams, each event naming its shard) as JSON Lines until SIGINT/SIGTERM, each
// with its stream id ("streamId") for --from to resume after; a Redis outage is logged and
// waited out, not an exit.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <functional>
#include <iostream>
#include <memory>
#include <vector>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover/queue_events.hpp>
#include <drover/shard_names.hpp>

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
  add_shards_flag(&e, f.common);
  add_json_flag(&e, f.json);
  e.add_option(
       "--from", f.from,
       "stream id to start after: the \"streamId\" of the last event printed resumes there ($: only new events, "
       "0: all kept)")
      ->check(stream_id())
      ->capture_default_str();
}

// Prints one queue's events until `stopping`; with `shard`, each event names it ("queue").
net::awaitable<void> print_events(queue_events& events, const bool& stopping, std::string shard) {
  auto ex = co_await net::this_coro::executor;
  // Redis away at the start is an error, as for every command (exit 1 within seconds);
  // once it answered, an outage is waited out, as `tail -f` waits out a slow disk.
  bool answered = false;
  while (!stopping) {
    bool lost = false;
    try {
      auto batch = co_await events.next();
      answered = true;
      for (const auto& ev : batch) {
        auto o = ev.to_json();
        // The stream id, for `--from ID` to resume after the last line read.
        o["streamId"] = ev.stream_id;
        if (!shard.empty()) o["queue"] = shard;
        std::cout << drover::serialize_json(o) << std::endl;
      }
    } catch (const error& e) {
      if (stopping) break;
      if (!answered || (!e.is(errc::redis_unavailable) && !e.is(errc::redis_timeout))) throw;
      spdlog::warn("events: {}; retrying", e.what());
      lost = true;
    }
    if (lost) {
      net::steady_timer t(ex, std::chrono::milliseconds(500));
      co_await t.async_wait(net::use_awaitable);
    }
  }
}

int run_events(const events_flags& c) {
  net::io_context io;
  queue_events_options o;
  o.prefix = c.common.prefix;
  o.redis = c.common.redis();
  o.last_event_id = c.from;
  // A sharded queue's events are its shards' streams, read side by side.
  const auto names =
      c.common.shards > 0 ? shard_names(c.common.queue, c.common.shards) : std::vector<std::string>{c.common.queue};
  std::vector<std::unique_ptr<queue_events>> readers;
  for (const auto& name : names) readers.push_back(std::make_unique<queue_events>(io.get_executor(), name, o));
  net::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  auto stop = [&] {
    stopping = true;
    for (auto& r : readers) r->close();
  };
  // The first signal closes the readers; a second one ends the command at once.
  std::function<void()> on_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (stopping) {
        io.stop();
        return;
      }
      stop();
      on_signal();
    });
  };
  on_signal();
  std::exception_ptr failure;
  std::size_t reading = readers.size();
  for (std::size_t i = 0; i < readers.size(); ++i) {
    net::co_spawn(io, print_events(*readers[i], stopping, c.common.shards > 0 ? names[i] : std::string()),
                  [&](std::exception_ptr e) {
                    if (e && !failure) failure = e;
                    if (e) stop();
                    // Done when every reader is: behind Sentinel a watch on the sentinels
                    // would keep io busy for ever.
                    if (--reading == 0) io.stop();
                  });
  }
  io.run();
  if (failure) std::rethrow_exception(failure);
  return 0;
}

}  // namespace

command events_command() {
  return make_command<events_flags>("events", "print the queue's events, one JSON object per line, until interrupted",
                                    add_events_options, run_events);
}

}  // namespace drover::cli
