// sentinel_test.cpp - drover behind Redis Sentinel: the master is found through the
// sentinels, and after the master dies (or a planned failover demotes it) jobs keep
// flowing on the promoted replica, a worker blocked at the time included.
#include "redis/sentinel.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "drover/error.hpp"
#include "drover/queue.hpp"
#include "redis/connection.hpp"
#include "support/async.hpp"
#include "support/job_flow.hpp"
#include "support/sentinel_set.hpp"
#include "redis/transport.hpp"
#include "support/tls_redis_server.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace drover::redis {
namespace {

using test::run_async;
using test::sentinel_set;

TEST(sentinel, finds_the_master_and_checks_its_role) {
  sentinel_set set("sentinel-secret");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = set.options();
    auto ask = ask_sentinels(io.get_executor(), opts, nullptr);
    auto master = co_await std::move(ask);
    EXPECT_EQ(master.master.port, set.master().port());
    auto conn = connection::create(io.get_executor(), opts);
    command role{"ROLE"};
    auto r = co_await conn->exec(std::move(role));
    EXPECT_EQ(r.elements.at(0).as_string(), "master");
    conn->close();
  });
}

// Why ask_sentinels failed ("" when it did not).
std::string ask_error(const redis_options& opts) {
  std::string why;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    try {
      auto tls = opts.tls.enabled ? make_tls_context(opts.tls) : nullptr;
      auto ask = ask_sentinels(io.get_executor(), opts, tls);
      co_await std::move(ask);
    } catch (const std::exception& e) {
      why = e.what();
    }
  });
  return why;
}

TEST(sentinel, says_why_no_sentinel_answered) {
  sentinel_set set("sentinel-secret");
  auto opts = set.options();
  opts.sentinel.password = "wrong";
  opts.sentinel.sentinels.insert(opts.sentinel.sentinels.begin(), redis_endpoint{"127.0.0.1", 1});
  auto why = ask_error(opts);
  EXPECT_NE(why.find("127.0.0.1:1: "), std::string::npos) << why;
  EXPECT_NE(why.find("WRONGPASS"), std::string::npos) << why;
  opts.sentinel.password = "sentinel-secret";
  opts.sentinel.master_name = "nobody";
  why = ask_error(opts);
  EXPECT_NE(why.find("master 'nobody' unknown"), std::string::npos) << why;
}

// Sentinels that take TLS only drop a plain client at its first bytes, as a TLS-only Redis
// does (here one stands in for them): the error says what to change, as it does for Redis.
TEST(sentinel, a_plain_client_of_tls_only_sentinels_is_told_to_use_tls) {
  test::tls_redis_server tls;
  redis_options opts;
  opts.sentinel.master_name = "mymaster";
  opts.sentinel.sentinels = {redis_endpoint{"127.0.0.1", tls.tls_port()}};
  auto why = ask_error(opts);
  EXPECT_NE(why.find("read failed"), std::string::npos) << why;
  EXPECT_NE(why.find("use rediss+sentinel://"), std::string::npos) << why;
}

// The sentinels' certificates are checked against their own host first, then the data
// nodes' REDIS_TLS_SERVER_NAME (an operator's review: a name only the data nodes held
// failed every sentinel; a diff review: sentinels sharing the data nodes' certificate, as
// the docs allowed before, must still be reached after an upgrade), or against
// REDIS_SENTINEL_TLS_SERVER_NAME alone. TLS Redis servers stand in for sentinels.
TEST(sentinel, the_sentinels_certificates_are_checked_against_their_host_or_the_names_given) {
  test::tls_redis_server tls;  // its certificate names 127.0.0.1 and localhost
  auto opts = tls.options();
  opts.tls.server_name = "redis.internal";  // the data nodes' name, which this sentinel does not hold
  opts.sentinel.master_name = "mymaster";
  opts.sentinel.sentinels = {redis_endpoint{"127.0.0.1", tls.tls_port()}};
  auto why = ask_error(opts);
  // Past the handshake: Redis knows no SENTINEL command.
  EXPECT_NE(why.find("unknown command 'SENTINEL'"), std::string::npos) << why;
  opts.sentinel.tls_server_name = "sentinel.internal";
  why = ask_error(opts);
  EXPECT_NE(why.find("hostname mismatch (expected name 'sentinel.internal'"), std::string::npos) << why;

  // A sentinel whose certificate names only redis.internal, the data nodes' name.
  test::tls_redis_server shared(false, test::server_certificate::named);
  auto upgraded = opts;
  upgraded.tls.ca_file = shared.certs().ca_cert;
  upgraded.sentinel.tls_server_name.clear();
  upgraded.sentinel.sentinels = {redis_endpoint{"127.0.0.1", shared.tls_port()}};
  why = ask_error(upgraded);
  EXPECT_NE(why.find("unknown command 'SENTINEL'"), std::string::npos) << why;
  upgraded.tls.server_name.clear();  // nothing names it: refused, saying what to set
  why = ask_error(upgraded);
  EXPECT_NE(why.find("IP address mismatch"), std::string::npos) << why;
  EXPECT_NE(why.find("REDIS_SENTINEL_TLS_SERVER_NAME"), std::string::npos) << why;
}

// A sentinel cut off from the others: it names `named_port` as the master for ever, and
// leaves every other request (a subscription) unanswered. One thread per connection.
class stale_sentinel {
 public:
  explicit stale_sentinel(std::uint16_t named_port)
      : acceptor_(io_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    accepting_ = std::thread([this, named_port] {
      for (;;) {
        auto s = std::make_shared<net::ip::tcp::socket>(io_);
        boost::system::error_code ec;
        acceptor_.accept(*s, ec);
        if (ec) return;
        std::lock_guard lock(mutex_);
        sockets_.push_back(s);
        serving_.emplace_back([this, s, named_port] { serve(*s, named_port); });
      }
    });
  }
  ~stale_sentinel() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // ends the blocked accept
    accepting_.join();
    std::lock_guard lock(mutex_);
    for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
    for (auto& t : serving_) t.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int asked() const { return asked_.load(); }

 private:
  void serve(net::ip::tcp::socket& s, std::uint16_t named_port) {
    const auto port = std::to_string(named_port);
    const auto answer = fmt::format("*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{}\r\n", port.size(), port);
    const std::string asked = std::string(test::sentinel_set::master_name) + "\r\n";
    std::string got;
    char buf[512];
    boost::system::error_code ec;
    for (;;) {
      const auto n = s.read_some(net::buffer(buf), ec);
      if (ec) return;
      got.append(buf, n);
      if (got.find("get-master-addr-by-name") != std::string::npos && got.find(asked) != std::string::npos) {
        ++asked_;
        got.clear();
        net::write(s, net::buffer(answer), ec);
        if (ec) return;
      }
    }
  }

  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<int> asked_{0};
  std::mutex mutex_;
  std::vector<std::shared_ptr<net::ip::tcp::socket>> sockets_;
  std::vector<std::thread> serving_;
  std::thread accepting_;
};

// A master that is not one (a replica, named by a stale sentinel) moves the question on to
// the next sentinel: asking the same one first again would never find the master.
TEST(sentinel, a_sentinel_that_names_a_replica_is_passed_over_for_the_next) {
  sentinel_set set;
  stale_sentinel stale(set.replica().port());
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = set.options();
    opts.sentinel.sentinels.insert(opts.sentinel.sentinels.begin(), redis_endpoint{"127.0.0.1", stale.port()});
    auto conn = connection::create(io.get_executor(), opts);
    std::string role;
    for (int i = 0; i < 30 && role != "master"; ++i) {
      try {
        command ask_role{"ROLE"};
        auto r = co_await conn->exec(std::move(ask_role));
        role = r.elements.at(0).as_string();
      } catch (const error&) {
      }
      if (role != "master") co_await test::sleep_ms(100);
    }
    EXPECT_EQ(role, "master");
    EXPECT_GE(stale.asked(), 1);
    conn->close();
  });
}

// Adds a job, retrying while the failover leaves no master; the job's id.
net::awaitable<std::string> add_through_failover(queue& q, int n) {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    try {
      json::value data = {{"n", n}};
      auto added = co_await q.add("after-failover", std::move(data));
      co_return added.id;
    } catch (const error&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    co_await test::sleep_ms(200);
  }
}

// Adds job `n` through the failover; it must be done, the worker woken for it.
net::awaitable<void> expect_a_job_flows(test::job_flow& flow, int n) {
  auto id = co_await add_through_failover(flow.q, n);
  EXPECT_TRUE(co_await flow.done_reaches(n, 20s)) << "the worker was not woken on the new master";
  EXPECT_TRUE(co_await test::eventually(
      [&]() -> net::awaitable<bool> { co_return co_await flow.q.get_job_state(id) == job_state::completed; }));
}

TEST(sentinel, jobs_keep_flowing_after_the_master_dies) {
  sentinel_set set;
  const auto old_master = set.master().port();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    test::job_flow flow(io.get_executor(), set.options());
    json::value first = {{"n", 1}};
    co_await flow.q.add("before-failover", std::move(first));
    DROVER_CO_ASSERT_TRUE(co_await flow.done_reaches(1));
    // Let the job's completion reach the replica, then kill the master while the
    // worker waits blocked on it for the next job.
    co_await test::sleep_ms(500);
    set.master().kill();
    auto started = std::chrono::steady_clock::now();
    co_await expect_a_job_flows(flow, 2);
    EXPECT_NE(set.master_port_now(), old_master);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    EXPECT_LT(took, 30s) << took.count() << " ms";
    std::printf("failover: jobs flowed again %lld ms after the master was killed\n",
                static_cast<long long>(took.count()));
    co_await flow.close();
  });
  EXPECT_EQ(set.master_port_now(), set.replica().port());
}

// Whether a PING on `conn` is answered now (false when it fails, as it does at once during
// the connection's back-off).
net::awaitable<bool> answers_ping(connection& conn) {
  try {
    command ping{"PING"};
    co_await conn.exec(std::move(ping));
    co_return true;
  } catch (const error&) {
    co_return false;
  }
}

// A connection that lost its master waits out a back-off before it connects again. The
// sentinels' announcement of a new master ends that wait: the next call goes to the new
// master at once, not up to reconnect_max later (2 s by default, found by the apps'
// failover test as a second or two of 503s after the promotion).
TEST(sentinel, the_announced_new_master_ends_the_reconnection_back_off) {
  sentinel_set set;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = set.options();
    // A back-off far longer than the failover, so that only the announcement can end it.
    opts.reconnect_min = 60s;
    opts.reconnect_max = 60s;
    auto conn = connection::create(io.get_executor(), opts);
    DROVER_CO_ASSERT_TRUE(co_await answers_ping(*conn));
    set.master().kill();
    // The lost socket starts the back-off: calls fail at once from then on.
    DROVER_CO_ASSERT_TRUE(
        co_await test::eventually([&]() -> net::awaitable<bool> { co_return !co_await answers_ping(*conn); }));
    DROVER_CO_ASSERT_TRUE(co_await test::eventually(
        [&]() -> net::awaitable<bool> { co_return set.master_port_now() == set.replica().port(); }, 20s));
    // The announcement reaches the connection a moment after this sentinel's own switch.
    EXPECT_TRUE(
        co_await test::eventually([&]() -> net::awaitable<bool> { co_return co_await answers_ping(*conn); }, 5s))
        << "still backing off after the sentinels named the new master";
    conn->close();
  });
}

// A worker whose fetches fail backs off between them, up to 5 s. The sentinels'
// announcement of a new master ends that wait too: a job waiting there is taken at once,
// not when the back-off would have ended (found by the apps' failover test as jobs starting
// up to seconds after the promotion).
TEST(sentinel, the_announced_new_master_ends_the_workers_fetch_back_off) {
  sentinel_set set;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    test::job_flow flow(io.get_executor(), set.options());
    auto errors = std::make_shared<std::atomic<int>>(0);
    flow.w.events().error = [errors](const std::exception&) { ++*errors; };
    // Every fetch fails while the active list is not a list (moveToActive answers
    // WRONGTYPE), with the master alive: the back-off grows 100 ms, 200 ms, ... 5 s.
    const auto active = fmt::format("bull:{}:active", flow.name);
    set.master().cli("SET " + active + " not-a-list");
    json::value data = {{"n", 1}};
    co_await flow.q.add("waiting-out-the-back-off", std::move(data));
    auto* count = errors.get();
    // The seventh failure is followed by the longest wait, 5 s.
    DROVER_CO_ASSERT_TRUE(co_await test::eventually([count]() -> net::awaitable<bool> { co_return *count >= 7; }, 20s));
    const auto sleeping_since = std::chrono::steady_clock::now();
    set.master().cli("DEL " + active);
    EXPECT_EQ(set.sentinel_cli(fmt::format("SENTINEL failover {}", sentinel_set::master_name)), "OK");
    DROVER_CO_ASSERT_TRUE(co_await test::eventually(
        [&]() -> net::awaitable<bool> { co_return set.master_port_now() == set.replica().port(); }, 20s));
    const auto switched = std::chrono::steady_clock::now();
    // The back-off alone would end 5 s after it began: the job must start well before
    // that. A failover slower than that (a loaded machine) leaves nothing to tell apart,
    // and then only the job's completion is checked.
    const auto backoff_ends = sleeping_since + 5s;
    if (switched + 1s < backoff_ends) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(backoff_ends - switched - 300ms);
      EXPECT_TRUE(co_await flow.done_reaches(1, left)) << "the worker waited out its back-off after the switch";
    } else {
      std::fprintf(stderr, "the failover outlasted the back-off: this run cannot tell\n");
    }
    EXPECT_TRUE(co_await flow.done_reaches(1, 10s));
    co_await flow.close();
  });
}

// A planned failover: the old master stays up and writable for seconds until the
// sentinels demote it, and what was written there meanwhile is then dropped. The
// connections must leave it at the sentinels' announcement (+switch-master), not wait for
// the demotion; the jobs done on the new master must still be there after it.
TEST(sentinel, follows_a_planned_failover_to_the_replica) {
  sentinel_set set;
  std::string name;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    test::job_flow flow(io.get_executor(), set.options());
    name = flow.name;
    json::value first = {{"n", 1}};
    co_await flow.q.add("before-failover", std::move(first));
    DROVER_CO_ASSERT_TRUE(co_await flow.done_reaches(1));
    co_await test::sleep_ms(500);
    EXPECT_EQ(set.sentinel_cli(fmt::format("SENTINEL failover {}", sentinel_set::master_name)), "OK");
    DROVER_CO_ASSERT_TRUE(co_await test::eventually(
        [&]() -> net::awaitable<bool> { co_return set.master_port_now() == set.replica().port(); }, 20s));
    // The announcement reaches drover a moment after this sentinel's own switch (its
    // watch pings every 200 ms); what is written before it goes to the old master.
    co_await test::sleep_ms(1000);
    co_await expect_a_job_flows(flow, 2);
    co_await flow.close();
  });
  // The old master becomes a replica of the new one, and the jobs are on the new master.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (set.master().cli("ROLE").rfind("slave", 0) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(set.master().cli("ROLE").rfind("slave", 0), 0u) << set.master().cli("ROLE");
  EXPECT_EQ(set.replica().cli("ZCARD bull:" + name + ":completed"), "2");
}

}  // namespace
}  // namespace drover::redis
