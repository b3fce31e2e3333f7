// queue_discovery.hpp - the queues under a prefix, found by a keyspace scan that backs off
// as the keyspace grows.
//
// BullMQ keeps no list of its queues: discover_queues (drover/discovery.hpp) SCANs every
// key. On a Redis holding millions of jobs one scan takes seconds of Redis's CPU, and the
// dashboard's overview asks every second for every open dashboard, the metrics collector at
// every scrape, `drover top` at every redraw: together they would keep Redis busy scanning.
// So a scan's result is kept for ten times as long as the scan took (at most two minutes),
// and one scan at a time serves every caller. On a small keyspace (a scan of a few ms)
// that is every call, as before; on a large one, Redis spends about a tenth of the time
// scanning, and a new queue shows up within that interval.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <drover/redis_options.hpp>

#include "drover_app/single_flight.hpp"

namespace drover::app {

// Thread safety: one executor.
class queue_discovery {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr int back_off_factor = 10;
  static constexpr std::chrono::milliseconds max_interval{120000};

  queue_discovery(boost::asio::any_io_executor ex, redis_options redis, std::string prefix);

  // The queue names (sorted; those that are not UTF-8 left out), from the last scan while it is recent enough, else
  // from a new one; a call during a scan waits for it. Throws what discover_queues throws.
  boost::asio::awaitable<std::vector<std::string>> names();
  // The names from a scan begun now, or from the one in flight: for a name asked for that
  // the last names do not hold (a queue made since).
  boost::asio::awaitable<std::vector<std::string>> rescan();

  // How long the last scan's names are kept; zero before the first.
  std::chrono::milliseconds interval() const { return interval_; }
  std::int64_t scans() const { return scans_; }  // scans run so far

 private:
  boost::asio::awaitable<std::vector<std::string>> scan();

  boost::asio::any_io_executor ex_;
  redis_options redis_;
  std::string prefix_;
  single_flight<std::vector<std::string>> flight_;
  std::optional<std::vector<std::string>> names_;
  clock::time_point next_scan_{};
  std::chrono::milliseconds interval_{0};
  std::int64_t scans_ = 0;
  std::set<std::string> not_text_;  // names left out for not being UTF-8, each said once
};

}  // namespace drover::app
