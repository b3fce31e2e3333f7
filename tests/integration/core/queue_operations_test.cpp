// queue_operations_test.cpp - what operators look at: discovered queues, BullMQ's
// metrics, the workers CLIENT LIST shows, and drover workers' own reports.
#include <drover/discovery.hpp>
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>

#include "support/engine_test.hpp"
#include "support/processors.hpp"
#include "support/queue_fixture.hpp"
#include "support/redis_server.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class queue_operations_test : public test::queue_fixture {
 protected:
  queue_operations_test() : queue_fixture("ops-test") {}
  worker_options wopts() const {
    auto o = queue_fixture::wopts();
    o.heartbeat_interval = 100ms;
    return o;
  }
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Completes jobs at once, fails the ones whose data says {"fail": true}, and holds the
// ones that say {"hold": true} until `release` is set.
processor judge(std::atomic<bool>& release) {
  return processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    const auto& d = ctx.job().data.as_object();
    if (d.contains("fail")) throw std::runtime_error("boom");
    if (d.contains("hold")) {
      net::steady_timer t(co_await net::this_coro::executor);
      while (!release) {
        t.expires_after(10ms);
        co_await t.async_wait(net::use_awaitable);
      }
    }
    co_return "ok";
  });
}

TEST_F(queue_operations_test, discovers_the_queues_under_a_prefix_whoever_wrote_them) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue with_jobs(io.get_executor(), name + "-a", qopts());
    co_await with_jobs.add("x", json::object());
    queue paused_only(io.get_executor(), name + "-b", qopts());
    co_await paused_only.pause();
    queue_options other_prefix = qopts();
    other_prefix.prefix = "ops-elsewhere";
    queue elsewhere(io.get_executor(), name + "-c", other_prefix);
    co_await elsewhere.add("x", json::object());
    // A job whose id is one of a queue's key names is refused: its hash would be that key.
    job_options odd;
    odd.job_id = "meta";
    bool refused = false;
    try {
      const json::value data = json::object();
      auto adding = with_jobs.add("x", data, odd);
      co_await std::move(adding);
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);

    auto names = co_await discover_queues(io.get_executor(), redis(), "bull");
    EXPECT_TRUE(contains(names, name + "-a"));
    EXPECT_TRUE(contains(names, name + "-b"));
    EXPECT_FALSE(contains(names, name + "-c"));
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    for (const auto& n : names) EXPECT_EQ(n.find(':'), std::string::npos) << n;

    auto others = co_await discover_queues(io.get_executor(), redis(), "ops-elsewhere");
    EXPECT_EQ(others, std::vector<std::string>{name + "-c"});
  });
}

TEST_F(queue_operations_test, reads_the_metrics_a_worker_keeps_as_bullmq_does) {
  std::atomic<bool> release{true};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < 3; ++i) co_await q.add("ok", json::object());
    auto failing = json::parse(R"({"fail":true})");
    co_await q.add("bad", failing);
    auto o = wopts();
    o.metrics_max_data_points = 60;
    test::worker_thread w(name, judge(release), o);
    auto all_done = [&]() -> net::awaitable<bool> {
      auto c = co_await q.get_metrics("completed");
      auto f = co_await q.get_metrics("failed");
      co_return c.count == 3 && f.count == 1;
    };
    EXPECT_TRUE(co_await eventually(all_done));
    auto m = co_await q.get_metrics("completed");
    EXPECT_GT(m.prev_ts, 0);
    auto shape = m.to_json();
    EXPECT_EQ(shape.at("meta").at("count").to_number<int>(), 3);
    EXPECT_TRUE(shape.at("data").is_array());

    bool refused = false;
    try {
      co_await q.get_metrics("waiting");
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);
  });
}

TEST_F(queue_operations_test, an_empty_queue_has_zero_metrics) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto m = co_await q.get_metrics("failed");
    EXPECT_EQ(m.count, 0);
    EXPECT_EQ(m.points, 0);
    EXPECT_TRUE(m.data.empty());
  });
}

// A worker whose every slot is busy does not block on the marker, so its named
// connection, lost meanwhile (a failover, CLIENT KILL), must come back by itself: the
// worker would otherwise vanish from getWorkers (and a no-worker alert fire) while it works.
TEST_F(queue_operations_test, a_busy_worker_whose_named_connection_was_lost_is_listed_again) {
  DROVER_SKIP_ON_CLUSTER("CLIENT KILL on one redis-server");
  std::atomic<bool> release{false};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.name = "busy-one";
    o.concurrency = 1;
    auto w = std::make_unique<test::worker_thread>(name, judge(release), o);
    auto hold = json::parse(R"({"hold":true})");
    co_await q.add("held", hold);
    auto listed = [&]() -> net::awaitable<bool> {
      auto clients = co_await q.get_workers();
      co_return std::any_of(clients.begin(), clients.end(), [](const auto& c) { return c.name == "busy-one"; });
    };
    EXPECT_TRUE(co_await eventually(listed));
    auto busy = [&]() -> net::awaitable<bool> { co_return (co_await q.get_job_counts())["active"] == 1; };
    EXPECT_TRUE(co_await eventually(busy));
    // Every connection named after the worker goes, its blocking one among them.
    auto clients = co_await q.get_workers();
    for (const auto& c : clients) {
      if (c.name == "busy-one") cli("CLIENT KILL ADDR " + c.addr);
    }
    EXPECT_TRUE(co_await eventually(listed, std::chrono::seconds(5)));
    release = true;
    w->stop();
    q.close();
  });
}

TEST_F(queue_operations_test, lists_workers_by_bullmq_client_names_and_their_reports) {
  std::atomic<bool> release{false};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.name = "reporter";
    o.concurrency = 3;
    auto w = std::make_unique<test::worker_thread>(name, judge(release), o);
    auto hold = json::parse(R"({"hold":true})");
    co_await q.add("held", hold);
    co_await q.add("done", json::object());

    auto named = [&]() -> net::awaitable<bool> {
      auto clients = co_await q.get_workers();
      co_return std::any_of(clients.begin(), clients.end(), [](const auto& c) { return c.name == "reporter"; });
    };
    EXPECT_TRUE(co_await eventually(named));

    auto busy_one = [&]() -> net::awaitable<bool> {
      auto reports = co_await q.get_worker_statuses();
      co_return reports.size() == 1 && reports[0].busy == 1 && reports[0].completed == 1;
    };
    EXPECT_TRUE(co_await eventually(busy_one));
    auto reports = co_await q.get_worker_statuses();
    DROVER_CO_ASSERT_TRUE(reports.size() == 1u);
    EXPECT_EQ(reports[0].name, "reporter");
    EXPECT_EQ(reports[0].concurrency, 3);
    EXPECT_GT(reports[0].pid, 0);
    EXPECT_FALSE(reports[0].host.empty());
    auto round_trip = worker_status::from_json(reports[0].to_json());
    EXPECT_EQ(round_trip.id, reports[0].id);
    EXPECT_EQ(round_trip.updated_at, reports[0].updated_at);

    release = true;
    w->stop();
    auto none = [&]() -> net::awaitable<bool> { co_return (co_await q.get_worker_statuses()).empty(); };
    EXPECT_TRUE(co_await eventually(none));
    EXPECT_EQ(cli("HLEN " + key("drover:workers")), "0");
  });
}

// CLIENT LIST covers the whole server: a worker of the same queue name on another database
// serves another queue, and counting it hid that nobody served this one.
TEST_F(queue_operations_test, a_worker_on_another_database_is_not_this_queues) {
  DROVER_SKIP_ON_CLUSTER("a cluster has one database");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.name = "elsewhere";
    o.redis.db = 1;
    worker w(io.get_executor(), name, test::echo(), o);
    w.start();
    auto other_options = qopts();
    other_options.redis.db = 1;
    queue on_db1(io.get_executor(), name, other_options);
    auto listed_there = [&]() -> net::awaitable<bool> { co_return (co_await on_db1.get_workers()).size() == 1; };
    EXPECT_TRUE(co_await eventually(listed_there));
    EXPECT_TRUE((co_await q.get_workers()).empty());
    co_await w.close(std::chrono::seconds(1));
    on_db1.close();
    q.close();
  });
}

TEST_F(queue_operations_test, drops_the_reports_of_workers_that_died) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    cli("HSET " + key("drover:workers") +
        R"( ghost '{"id":"ghost","updatedAt":1000,"heartbeatMs":5000}' junk not-json)");
    EXPECT_TRUE((co_await q.get_worker_statuses()).empty());
    EXPECT_EQ(cli("HLEN " + key("drover:workers")), "0");
  });
}

// Only readers of the reports pruned them, and a live worker keeps the hash from expiring:
// a field per crash stayed (a retention review). A worker prunes them too.
TEST_F(queue_operations_test, a_running_worker_drops_the_reports_of_workers_that_died) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    cli("HSET " + key("drover:workers") +
        R"( ghost '{"id":"ghost","updatedAt":1000,"heartbeatMs":5000}' junk not-json)");
    auto o = wopts();
    o.heartbeat_interval = std::chrono::milliseconds(100);
    worker w(io.get_executor(), name, test::echo(), o);
    w.start();
    auto only_its_own = [&]() -> net::awaitable<bool> { co_return cli("HLEN " + key("drover:workers")) == "1"; };
    EXPECT_TRUE(co_await eventually(only_its_own)) << cli("HKEYS " + key("drover:workers"));
    co_await w.close(std::chrono::seconds(1));
  });
}

TEST_F(queue_operations_test, worker_stats_count_finished_jobs) {
  std::atomic<bool> release{true};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.concurrency = 2;
    worker w(io.get_executor(), name, judge(release), o);
    w.start();
    co_await q.add("ok", json::object());
    auto failing = json::parse(R"({"fail":true})");
    co_await q.add("bad", failing);
    auto counted = [&]() -> net::awaitable<bool> {
      auto s = w.stats();
      co_return s.completed == 1 && s.failed == 1;
    };
    EXPECT_TRUE(co_await eventually(counted));
    EXPECT_EQ(w.stats().concurrency, 2u);
    EXPECT_EQ(w.stats().running, 0u);
    co_await w.close(1s);
  });
}

}  // namespace
}  // namespace drover
