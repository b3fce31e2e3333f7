// queue_limits_test.cpp - global concurrency and rate limit, the manual rate-limit pause,
// the meta hash, counts per priority and trimming events: the fields and keys BullMQ's
// scripts and Node's Queue read, and workers obeying them.
#include <drover/error.hpp>
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class queue_limits_test : public test::queue_fixture {
 protected:
  queue_limits_test() : queue_fixture("limits-test") {}
};

TEST_F(queue_limits_test, global_limits_are_the_meta_fields_node_writes) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    EXPECT_EQ(co_await q.get_global_concurrency(), std::nullopt);
    EXPECT_FALSE((co_await q.get_global_rate_limit()).has_value());
    co_await q.set_global_concurrency(3);
    co_await q.set_global_rate_limit(10, 2000ms);
    EXPECT_EQ(cli("HGET " + key("meta") + " concurrency"), "3");
    EXPECT_EQ(cli("HMGET " + key("meta") + " max duration"), "10\n2000");
    // The first thing done to this queue: its meta says whose layout it is, as Node's.
    EXPECT_EQ(cli("HGET " + key("meta") + " version"), "bullmq:6.7.0");
    EXPECT_EQ(co_await q.get_global_concurrency(), 3);
    auto rate = co_await q.get_global_rate_limit();
    DROVER_CO_ASSERT_TRUE(rate.has_value());
    EXPECT_EQ(rate->max, 10);
    EXPECT_EQ(rate->duration, 2000ms);
    auto meta = co_await q.get_meta();
    EXPECT_EQ(meta.concurrency, 3);
    DROVER_CO_ASSERT_TRUE(meta.rate_limit.has_value());
    EXPECT_EQ(meta.rate_limit->max, 10);
    co_await q.remove_global_concurrency();
    co_await q.remove_global_rate_limit();
    EXPECT_EQ(co_await q.get_global_concurrency(), std::nullopt);
    EXPECT_FALSE((co_await q.get_global_rate_limit()).has_value());
    bool refused = false;
    try {
      co_await q.set_global_concurrency(0);
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);
    q.close();
    cli("DEL " + key("meta"));
    queue paused(io.get_executor(), name, qopts());
    co_await paused.pause();
    EXPECT_EQ(cli("HMGET " + key("meta") + " paused version"), "1\nbullmq:6.7.0");
    paused.close();
  });
}

TEST_F(queue_limits_test, workers_obey_the_global_concurrency_and_is_maxed_says_so) {
  std::atomic<int> running{0}, most{0};
  std::atomic<bool> release{false};
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    int now = ++running;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
    while (!release) co_await test::sleep_ms(10);
    --running;
    co_return nullptr;
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.set_global_concurrency(1);
    for (int i = 0; i < 3; ++i) co_await q.add("j", json::object{});
    auto o = wopts();
    o.concurrency = 4;
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return running.load() == 1; }));
    co_await test::sleep_ms(300);
    EXPECT_EQ(most.load(), 1);
    EXPECT_TRUE(co_await q.is_maxed());
    release = true;
    auto all_done = [&]() -> net::awaitable<bool> {
      std::vector<std::string> types{"completed"};
      auto counts = co_await q.get_job_counts(std::move(types));
      co_return counts["completed"] == 3;
    };
    EXPECT_TRUE(co_await eventually(all_done));
    EXPECT_FALSE(co_await q.is_maxed());
    EXPECT_EQ(most.load(), 1);
    q.close();
  });
}

TEST_F(queue_limits_test, a_manual_rate_limit_holds_workers_back_until_it_is_removed) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    // BullMQ's moveToActive reads the limiter key only under a rate limit (a worker's own
    // or the queue's global one), for Node's workers as for drover's.
    co_await q.set_global_rate_limit(1000, 1000ms);
    co_await q.rate_limit(60s);
    EXPECT_EQ(cli("GET " + key("limiter")), "9007199254740991");
    auto j = co_await q.add("held", json::object{});
    auto quick = processor::async([](job_context&) -> net::awaitable<json::value> { co_return 1; });
    {
      test::worker_thread w(name, quick, wopts());
      co_await test::sleep_ms(500);
      EXPECT_EQ(co_await q.get_job_state(j.id), job_state::waiting);
    }
    // A worker that was told to wait keeps waiting out the time it was given (so does
    // Node's); one that starts after the removal is not held.
    EXPECT_TRUE(co_await q.remove_rate_limit_key());
    EXPECT_EQ(cli("EXISTS " + key("limiter")), "0");
    test::worker_thread w(name, quick, wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    q.close();
  });
}

TEST_F(queue_limits_test, counts_per_priority_and_trimming_events) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    const std::vector<int> priorities{0, 1, 1, 5, 0, 0};
    for (auto p : priorities) {
      job_options o;
      if (p > 0) o.priority = p;
      co_await q.add("p", json::object{}, o);
    }
    std::vector<std::int64_t> asked{5, 0, 1, 2, 1};
    auto counts = co_await q.get_counts_per_priority(std::move(asked));
    EXPECT_EQ(counts, (std::map<std::int64_t, std::int64_t>{{0, 3}, {1, 2}, {2, 0}, {5, 1}}));

    for (int i = 0; i < 300; ++i) co_await q.add("e", json::object{});
    const auto before = std::stoll(cli("XLEN " + key("events")));
    const auto removed = co_await q.trim_events(10);
    EXPECT_GT(removed, 0);
    EXPECT_EQ(std::stoll(cli("XLEN " + key("events"))), before - removed);
    q.close();
  });
}

TEST_F(queue_limits_test, change_priority_moves_a_waiting_job_and_clear_logs_keeps_the_last_lines) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto plain = co_await q.add("plain", json::object{});
    job_options low;
    low.priority = 10;
    auto lowly = co_await q.add("lowly", json::object{}, low);
    co_await q.change_priority(plain.id, 5);
    EXPECT_EQ(co_await q.get_job_state(plain.id), job_state::prioritized);
    co_await q.change_priority(lowly.id, 0);
    EXPECT_EQ(co_await q.get_job_state(lowly.id), job_state::waiting);
    EXPECT_EQ(cli("HGET " + key(plain.id) + " priority"), "5");
    bool missing = false;
    try {
      co_await q.change_priority("no-such-job", 1);
    } catch (const error& e) {
      missing = e.is(errc::job_not_found);
    }
    EXPECT_TRUE(missing);

    for (int i = 0; i < 5; ++i) co_await q.add_log(plain.id, "line " + std::to_string(i));
    co_await q.clear_logs(plain.id, 2);
    auto kept = co_await q.get_job_logs(plain.id);
    EXPECT_EQ(kept.first, (std::vector<std::string>{"line 3", "line 4"}));
    co_await q.clear_logs(plain.id);
    EXPECT_EQ((co_await q.get_job_logs(plain.id)).second, 0);
    q.close();
  });
}

}  // namespace
}  // namespace drover
