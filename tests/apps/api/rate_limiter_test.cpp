// rate_limiter_test.cpp - the token buckets against a real redis-server: bursts, refill,
// both-or-neither, several limiters sharing one limit, the 429 reply, and failing open.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "api/rate_limiter.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;
using drover::api::limited_route;
using drover::api::rate_decision;
using drover::api::rate_limit;
using drover::api::rate_limiter;
using drover::api::rate_limits;
using drover::test::redis_server;
using drover::test::run_async;
using drover::test::unique_queue;

namespace {

// Only the send route limited: 2 at once, then 10 per second, per user and per address.
rate_limits sends(rate_limit user, rate_limit address) {
  rate_limits l;
  l.send_per_user = user;
  l.send_per_address = address;
  return l;
}

}  // namespace

TEST(RateLimiter, ABurstIsAllowedThenRefusedWithTheTimeToWait) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    rate_limiter limiter(io.get_executor(), server.options(), sends({10, 2}, {}), unique_queue("rl"));
    auto a = co_await limiter.take(limited_route::send, "alice", "10.0.0.1");
    auto b = co_await limiter.take(limited_route::send, "alice", "10.0.0.1");
    auto c = co_await limiter.take(limited_route::send, "alice", "10.0.0.1");
    EXPECT_TRUE(a.allowed);
    EXPECT_TRUE(b.allowed);
    EXPECT_FALSE(c.allowed);
    // 10 per second: a token every 100 ms.
    EXPECT_GT(c.retry_after, 0ms);
    EXPECT_LE(c.retry_after, 100ms);
    // Another user is not affected.
    auto bob = co_await limiter.take(limited_route::send, "bob", "10.0.0.1");
    EXPECT_TRUE(bob.allowed);
    // After the wait, alice may send again.
    co_await drover::test::sleep_ms(c.retry_after.count() + 20);
    auto d = co_await limiter.take(limited_route::send, "alice", "10.0.0.1");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(limiter.failures(), 0u);
  });
}

TEST(RateLimiter, ARefusalSpendsNothingFromTheOtherBucket) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    // The address allows 3, each user 1 (and barely refills).
    rate_limiter limiter(io.get_executor(), server.options(), sends({0.001, 1}, {0.001, 3}), unique_queue("rl"));
    auto first = co_await limiter.take(limited_route::send, "carol", "10.0.0.2");
    EXPECT_TRUE(first.allowed);
    // carol is out: these are refused by her bucket and must not spend the address's.
    for (int i = 0; i < 5; ++i) {
      auto r = co_await limiter.take(limited_route::send, "carol", "10.0.0.2");
      EXPECT_FALSE(r.allowed);
    }
    auto dave = co_await limiter.take(limited_route::send, "dave", "10.0.0.2");
    auto erin = co_await limiter.take(limited_route::send, "erin", "10.0.0.2");
    auto frank = co_await limiter.take(limited_route::send, "frank", "10.0.0.2");
    EXPECT_TRUE(dave.allowed);
    EXPECT_TRUE(erin.allowed);
    EXPECT_FALSE(frank.allowed) << "the address allowed 3 in all";
  });
}

TEST(RateLimiter, SeveralProcessesShareOneLimit) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    const auto scope = unique_queue("rl");
    // Two limiters, two connections: as two API processes.
    rate_limiter one(io.get_executor(), server.options(), sends({0.001, 5}, {}), scope);
    rate_limiter two(io.get_executor(), server.options(), sends({0.001, 5}, {}), scope);
    int allowed = 0;
    for (int i = 0; i < 10; ++i) {
      auto& limiter = i % 2 ? one : two;
      auto r = co_await limiter.take(limited_route::send, "gina", "");
      allowed += r.allowed ? 1 : 0;
    }
    EXPECT_EQ(allowed, 5);
  });
}

TEST(RateLimiter, DisabledLimitsAndEmptyIdsCostNothing) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    // No Redis at all: nothing may be asked of it.
    drover::redis_options nowhere;
    nowhere.port = 1;
    rate_limiter limiter(io.get_executor(), nowhere, sends({}, {}), "x");
    for (int i = 0; i < 3; ++i) {
      auto r = co_await limiter.take(limited_route::send, "alice", "10.0.0.1");
      EXPECT_TRUE(r.allowed);
    }
    rate_limiter ids(io.get_executor(), nowhere, sends({1, 1}, {1, 1}), "x");
    auto r = co_await ids.take(limited_route::send, "", "");
    EXPECT_TRUE(r.allowed);
    EXPECT_EQ(limiter.failures() + ids.failures(), 0u) << "Redis was asked";
  });
}

// A send stores its message before its add fails: with the limits off while Redis could
// not count, one client wrote a row per request (a review). This process counts meanwhile.
TEST(RateLimiter, CountsInThisProcessQuicklyWhenRedisDoesNotAnswer) {
  redis_server frozen;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    rate_limiter limiter(io.get_executor(), frozen.options(), sends({0.001, 2}, {}), unique_queue("rl"));
    auto warm = co_await limiter.take(limited_route::send, "hank", "");
    EXPECT_TRUE(warm.allowed);
    frozen.freeze();
    std::vector<bool> allowed;
    for (int i = 0; i < 3; ++i) {
      auto started = std::chrono::steady_clock::now();
      auto r = co_await limiter.take(limited_route::send, "hank", "");
      auto took = std::chrono::steady_clock::now() - started;
      allowed.push_back(r.allowed);
      EXPECT_LT(took, 1s);
      if (!r.allowed) {
        EXPECT_TRUE(r.unchecked.empty()) << "a 429, not a 503";
        EXPECT_GT(r.retry_after, 900s);  // a token in 1,000 s
      }
    }
    EXPECT_EQ(allowed, (std::vector<bool>{true, true, false})) << "the burst of 2, then refused";
    auto other = co_await limiter.take(limited_route::send, "iris", "");
    EXPECT_TRUE(other.allowed) << "another user's own bucket";
    EXPECT_EQ(limiter.failures(), 4u);
    frozen.thaw();
    limiter.close();
  });
}

// Redis out of memory answers, and refuses the script's writes: counted here too (a review
// sent 40 in a burst, all let through to store their message and fail).
TEST(RateLimiter, CountsInThisProcessWhileRedisIsOutOfMemory) {
  redis_server full;
  full.cli("CONFIG SET maxmemory 1");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    rate_limiter limiter(io.get_executor(), full.options(), sends({0.001, 3}, {}), unique_queue("rl"));
    int allowed = 0;
    for (int i = 0; i < 10; ++i) {
      auto r = co_await limiter.take(limited_route::send, "jack", "");
      allowed += r.allowed;
    }
    EXPECT_EQ(allowed, 3);
    EXPECT_EQ(limiter.failures(), 10u);
    limiter.close();
  });
}

TEST(RateLimiter, IdleBucketsExpire) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    const auto scope = unique_queue("rl");
    rate_limiter limiter(io.get_executor(), server.options(), sends({10, 5}, {}), scope);
    auto r = co_await limiter.take(limited_route::send, "ivan", "");
    EXPECT_TRUE(r.allowed);
    // Full again after 500 ms; the key lives that long plus a second.
    auto ttl = std::stoll(server.cli("PTTL drover:ratelimit:" + scope + ":send:user:ivan"));
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 1500);
  });
}

TEST(RateLimiter, TooManyRequestsRefusal) {
  struct row {
    std::chrono::milliseconds wait;
    const char* retry_after;
  };
  const row rows[] = {{1ms, "1"}, {1000ms, "1"}, {1001ms, "2"}, {0ms, "1"}, {59'500ms, "60"}};
  for (const auto& r : rows) {
    auto refusal = drover::api::too_many_requests(r.wait);
    EXPECT_EQ(refusal.status(), drover::httpd::http::status::too_many_requests);
    ASSERT_EQ(refusal.headers().size(), 1u);
    EXPECT_EQ(refusal.headers()[0].first, "Retry-After");
    EXPECT_EQ(refusal.headers()[0].second, r.retry_after) << r.wait.count();
    EXPECT_NE(std::string(refusal.what()).find("Too many requests"), std::string::npos);
  }
}

// Redis answers but refuses the script: an ACL user without the limiter's keys (an
// operator's review had every limit off for good behind "Redis did not answer"), a key of
// another type. The request is refused with a 503 saying so, not let through.
TEST(RateLimiter, RefusesWhenRedisRefusesTheScript) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    const auto scope = unique_queue("rl");
    const auto user = "limited-" + scope;
    server.cli("ACL SETUSER " + user + " on '>pw-" + scope + "' '~bull:*' '&*' '+@all'");
    auto opts = server.options();
    opts.username = user;
    opts.password = "pw-" + scope;
    rate_limiter no_keys(io.get_executor(), opts, sends({10, 5}, {}), scope);
    auto r = co_await no_keys.take(limited_route::send, "olga", "");
    EXPECT_FALSE(r.allowed);
    EXPECT_NE(r.unchecked.find("Rate limits cannot be checked"), std::string::npos) << r.unchecked;
    EXPECT_NE(r.unchecked.find("NOPERM"), std::string::npos) << r.unchecked;
    auto refusal = drover::api::refusal_of(r);
    EXPECT_EQ(refusal.status(), drover::httpd::http::status::service_unavailable);
    EXPECT_EQ(no_keys.failures(), 1u);
    no_keys.close();
    server.cli("ACL DELUSER " + user);

    server.cli("SET drover:ratelimit:" + scope + ":send:user:pat not-a-bucket");
    rate_limiter wrong_type(io.get_executor(), server.options(), sends({10, 5}, {}), scope);
    auto w = co_await wrong_type.take(limited_route::send, "pat", "");
    EXPECT_FALSE(w.allowed);
    EXPECT_FALSE(w.unchecked.empty());
    // Another user's bucket is as it was.
    auto other = co_await wrong_type.take(limited_route::send, "quinn", "");
    EXPECT_TRUE(other.allowed);
    wrong_type.close();
  });
}

TEST(RateLimiter, RefusalOfAnAllowanceOverALimitIs429) {
  rate_decision d;
  d.allowed = false;
  d.retry_after = 1500ms;
  auto refusal = drover::api::refusal_of(d);
  EXPECT_EQ(refusal.status(), drover::httpd::http::status::too_many_requests);
  ASSERT_EQ(refusal.headers().size(), 1u);
  EXPECT_EQ(refusal.headers()[0].second, "2");
}
