// redis_client_test.cpp - the public plain-key client against a real redis-server.
#include "drover/redis_client.hpp"

#include "drover/error.hpp"

#include <gtest/gtest.h>

#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover {
namespace {

using test::redis_server;
using test::run_async;

TEST(redis_client, pings_and_reads_and_writes_plain_keys) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    redis_client client(io.get_executor(), server.options(), "redis-client-test");
    auto took = co_await client.ping();
    EXPECT_GE(took.count(), 0);
    std::string key = "redis-client-test:plain";
    co_await client.del(key);
    auto missing = co_await client.get(key);
    EXPECT_FALSE(missing.has_value());
    redis_set_options plain;
    std::string v1 = "one", v2 = "two", v3 = "three";
    bool written = co_await client.set(key, v1, plain);
    EXPECT_TRUE(written);
    auto one = co_await client.get(key);
    EXPECT_EQ(one.value_or(""), "one");
    redis_set_options nx;
    nx.only_if_absent = true;
    nx.ttl = 60s;
    bool overwritten = co_await client.set(key, v2, nx);
    EXPECT_FALSE(overwritten);  // exists: left alone
    auto still = co_await client.get(key);
    EXPECT_EQ(still.value_or(""), "one");
    co_await client.del(key);
    bool created = co_await client.set(key, v3, nx);
    EXPECT_TRUE(created);
    auto three = co_await client.get(key);
    EXPECT_EQ(three.value_or(""), "three");
    co_await client.del(key);
    client.close();
  });
}

TEST(redis_client, fails_with_a_drover_error_when_redis_is_away) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    redis_options nowhere;
    nowhere.port = 1;  // nothing listens there
    nowhere.connect_timeout = 500ms;
    redis_client client(io.get_executor(), nowhere);
    bool failed = false;
    try {
      co_await client.ping();
    } catch (const error& e) {
      failed = e.is(errc::redis_unavailable) || e.is(errc::redis_timeout);
    }
    EXPECT_TRUE(failed);
  });
}

}  // namespace
}  // namespace drover
