// queue_discovery_test.cpp - drover_app/queue_discovery.hpp on a private redis-server: the
// queues found, one scan shared by the callers that ask during it, and a scan's names kept
// for ten times as long as it took (a large keyspace), while rescan() looks again.
#include <drover_app/queue_discovery.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace drover::app {
namespace {

namespace net = boost::asio;

bool holds(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(queue_discovery, finds_queues_and_shares_one_scan_between_callers) {
  test::redis_server redis;
  redis.cli("HSET bull:first:meta opts.maxLenEvents 10000");
  redis.cli("SET bull:second:id 3");
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_discovery discovery(io.get_executor(), redis.options(), "bull");
    std::vector<std::vector<std::string>> seen;
    int done = 0;
    for (int i = 0; i < 3; ++i) {
      net::co_spawn(
          io,
          [&]() -> net::awaitable<void> {
            auto names = co_await discovery.names();
            seen.push_back(std::move(names));
            ++done;
          },
          net::detached);
    }
    while (done < 3) co_await test::sleep_ms(5);
    EXPECT_EQ(discovery.scans(), 1);
    for (const auto& names : seen) EXPECT_EQ(names, (std::vector<std::string>{"first", "second"}));
  });
}

// An observability review: a queue a producer named with raw bytes ("caf\xe9") made every
// /metrics scrape invalid (Prometheus refuses it whole) and the dashboard's JSON too.
TEST(queue_discovery, leaves_out_a_name_that_is_not_utf8) {
  test::redis_server redis;
  // Lua's decimal escapes: 233 is 0xE9 alone, 195 169 is "é" in UTF-8.
  redis.cli("EVAL \"redis.call('SET', 'bull:caf\\233:id', 1) redis.call('SET', 'bull:ok\\195\\169:id', 1)\" 0");
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_discovery discovery(io.get_executor(), redis.options(), "bull");
    auto names = co_await discovery.names();
    EXPECT_EQ(names, (std::vector<std::string>{"ok\xc3\xa9"}));
  });
}

// On a keyspace of 200,000 other keys a scan takes long enough that its names are kept: a
// queue made just after it is not seen by names(), and is by rescan().
TEST(queue_discovery, keeps_a_long_scans_names_for_ten_times_its_duration) {
  test::redis_server redis;
  redis.cli("EVAL \"for i = 1, 200000 do redis.call('SET', 'other:' .. i, 'x') end\" 0");
  redis.cli("HSET bull:old:meta opts.maxLenEvents 10000");
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_discovery discovery(io.get_executor(), redis.options(), "bull");
    auto first = co_await discovery.names();
    EXPECT_EQ(first, (std::vector<std::string>{"old"}));
    EXPECT_GE(discovery.interval(), std::chrono::milliseconds(10));  // 10 x at least 1 ms
    EXPECT_LE(discovery.interval(), queue_discovery::max_interval);
    redis.cli("HSET bull:new:meta opts.maxLenEvents 10000");
    auto cached = co_await discovery.names();
    EXPECT_FALSE(holds(cached, "new"));
    EXPECT_EQ(discovery.scans(), 1);
    auto fresh = co_await discovery.rescan();
    EXPECT_TRUE(holds(fresh, "new"));
    EXPECT_EQ(discovery.scans(), 2);
  });
}

}  // namespace
}  // namespace drover::app
