// connectivity_monitor.hpp - probes Redis and the database every few seconds: logs one
// line when a connection is lost and one when it is back, and reports the Redis round
// trip and both states as metrics.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <drover/redis_client.hpp>
#include <drover/redis_options.hpp>

#include "drover_app/db/database.hpp"
#include "drover_app/metrics/registry.hpp"

namespace drover::app {

// Series:
//   drover_redis_roundtrip_seconds  histogram  one PING per probe
//   drover_redis_up                 gauge      1 when the last PING was answered
//   drover_database_up              gauge      1 when the last database ping succeeded (when watched)
// Log lines (warn / info): "redis: connection lost (host:port): why",
// "redis: connection regained (host:port) after 12.5 s", and the same for "database".
// Lifecycle: start() probes at once and then every interval; stop() ends the loop.
// Thread safety: one executor (the app's).
class connectivity_monitor {
 public:
  connectivity_monitor(boost::asio::any_io_executor ex, metrics::registry& r, redis_options redis,
                       std::string client_name);
  ~connectivity_monitor();

  // Also probes `db` (its ping() runs on `pool`, with a deadline).
  void watch_database(database& db, boost::asio::thread_pool& pool);
  void start(std::chrono::milliseconds interval = std::chrono::seconds(5));
  void stop();

  // A probe now; exposed for /metrics, which wants a fresh round trip (at most one per
  // second: a scrape storm must not turn into a PING storm).
  boost::asio::awaitable<void> probe();
  // Pings the watched database now, within `deadline` (also updating the gauge and the
  // lost/regained log lines): whether it answered. True when no database is watched.
  boost::asio::awaitable<bool> database_answers(std::chrono::milliseconds deadline);

 private:
  struct state;
  boost::asio::awaitable<void> loop(std::shared_ptr<state> s);
  boost::asio::awaitable<void> probe_redis();
  boost::asio::awaitable<bool> probe_database(std::chrono::milliseconds deadline);

  boost::asio::any_io_executor ex_;
  std::string endpoint_;
  redis_client redis_;
  database* db_ = nullptr;
  boost::asio::thread_pool* pool_ = nullptr;
  metrics::family<metrics::histogram>& roundtrip_;
  metrics::family<metrics::gauge>& redis_up_;
  metrics::family<metrics::gauge>* database_up_ = nullptr;
  metrics::registry& registry_;
  std::optional<std::chrono::steady_clock::time_point> redis_lost_at_, database_lost_at_;
  std::chrono::milliseconds interval_{5000};
  std::chrono::steady_clock::time_point last_probe_{};
  std::shared_ptr<state> state_;
};

}  // namespace drover::app
