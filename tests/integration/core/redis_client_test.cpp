// redis_client_test.cpp - the public plain-key client against a real redis-server
// (or the suite's Redis Cluster).
#include "drover/redis_client.hpp"

#include "drover/error.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "support/engine_test.hpp"
#include "support/suite_cluster.hpp"

namespace drover {
namespace {

TEST(redis_client, pings_and_reads_and_writes_plain_keys) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    redis_client client(io.get_executor(), test::suite_redis_options(), "redis-client-test");
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

TEST(redis_client, evaluates_a_script_of_the_application_and_reloads_it_after_a_flush) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    redis_client client(io.get_executor(), test::suite_redis_options(), "redis-client-test");
    // Every kind of reply: integer, string, nil (false), status, nested table.
    static const redis_script script("echo-kinds", R"lua(
      redis.call('SET', KEYS[1], ARGV[1])
      return {tonumber(ARGV[2]), redis.call('GET', KEYS[1]), false, redis.status_reply('OK'), {1, 'x'}}
    )lua");
    std::string key = "redis-client-test:script";
    std::vector<std::string> keys{key};
    std::vector<std::string> args{"hello", "42"};
    auto v = co_await client.eval(script, keys, args);
    EXPECT_EQ(boost::json::serialize(v), R"([42,"hello",null,"OK",[1,"x"]])");
    // After SCRIPT FLUSH (as after a restart) the script is loaded again, unseen.
    EXPECT_EQ(test::suite_cli(key, "SCRIPT FLUSH"), "OK");  // on a cluster, where the key is
    auto again = co_await client.eval(script, keys, args);
    EXPECT_EQ(boost::json::serialize(again), R"([42,"hello",null,"OK",[1,"x"]])");
    co_await client.del(key);
    // A script error is a drover::error naming the script.
    static const redis_script broken("broken", "return redis.call('NOSUCHCOMMAND')");
    std::string what;
    try {
      std::vector<std::string> none;
      co_await client.eval(broken, none, none);
    } catch (const error& e) {
      if (e.is(errc::script_error)) what = e.what();
    }
    EXPECT_NE(what.find("broken"), std::string::npos) << what;
    client.close();
  });
}

TEST(redis_client, script_sha1_is_what_redis_computes) {
  // SCRIPT LOAD answers the SHA1 Redis names the script by; EVALSHA needs the same.
  redis_script s("sha", "return 1");
  EXPECT_EQ(test::suite_cli("", "SCRIPT LOAD \"return 1\""), s.sha1());
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
