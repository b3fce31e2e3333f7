// processor_outcomes_test.cpp - what decides a job's next step besides its result: a
// processor that puts its job back (move_to_delayed, rate_limited, as Node's DelayedError
// and RateLimitError), a custom backoff strategy, and the limit on starts.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <vector>

#include "core/clock.hpp"
#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class processor_outcomes_test : public test::queue_fixture {
 protected:
  processor_outcomes_test() : queue_fixture("outcomes-test") {}
};

TEST_F(processor_outcomes_test, move_to_delayed_puts_the_job_off_without_using_an_attempt) {
  std::atomic<int> runs{0};
  std::atomic<std::int64_t> second_run_at{0}, delayed_until{0};
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    if (++runs == 1) {
      delayed_until = detail::now_ms() + 400;
      throw move_to_delayed(delayed_until);
    }
    second_run_at = detail::now_ms();
    co_return "later";
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("put-off", json::object{});
    test::worker_thread w(name, proc, wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::delayed); }));
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    auto done = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->returnvalue, "later");
    EXPECT_EQ(done->attempts_made, 1);  // the put-off run used no attempt
    EXPECT_GE(second_run_at.load(), delayed_until.load() - 5);
    q.close();
  });
  EXPECT_EQ(runs.load(), 2);
}

// At any concurrency: a free slot of the same worker, woken by the job's return to wait,
// took it again 1 ms later (a Node BullMQ user's review, concurrency 2 and 4).
class rate_limited_test : public processor_outcomes_test, public ::testing::WithParamInterface<int> {};

TEST_P(rate_limited_test, rate_limited_hands_the_job_back_and_holds_the_worker) {
  std::atomic<int> runs{0};
  std::atomic<std::int64_t> limited_at{0}, second_run_at{0};
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    if (++runs == 1) {
      limited_at = detail::now_ms();
      throw rate_limited(600ms);
    }
    second_run_at = detail::now_ms();
    co_return "ok";
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("limited", json::object{});
    auto o = wopts();
    o.concurrency = GetParam();
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    auto done = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->attempts_made, 1);
    EXPECT_GE(second_run_at.load() - limited_at.load(), 550);  // the worker waited the pause out
    q.close();
  });
  EXPECT_EQ(runs.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(concurrency, rate_limited_test, ::testing::Values(1, 2, 4));

TEST_F(processor_outcomes_test, a_custom_backoff_strategy_sets_the_delay_or_ends_the_retries) {
  std::atomic<int> runs{0};
  std::vector<std::int64_t> asked;  // attempts made, as the strategy saw them (worker thread only)
  auto o = wopts();
  o.backoff_strategy = [&asked](std::int64_t attempts_made, const std::string& type, const std::string& reason,
                                const job&) -> std::optional<std::int64_t> {
    asked.push_back(attempts_made);
    if (type != "linear" || reason != "boom") return std::nullopt;
    if (attempts_made == 1) return 150;
    return std::nullopt;  // no third run, though attempts allow it
  };
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    ++runs;
    throw std::runtime_error("boom");
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":5,"backoff":{"type":"linear"}})"));
    auto j = co_await q.add("custom", json::object{}, opts);
    {
      test::worker_thread w(name, proc, o);
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    }
    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->attempts_made, 2);
    q.close();
  });
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(asked, (std::vector<std::int64_t>{1, 2}));
}

// A C++ user's review: a strategy that threw anything but an std::exception left the
// worker's io_context::run(). It fails the job for good, as one that throws
// std::runtime_error does.
TEST_F(processor_outcomes_test, a_backoff_strategy_that_throws_fails_the_job_for_good) {
  std::atomic<int> runs{0};
  auto o = wopts();
  o.backoff_strategy = [](std::int64_t, const std::string&, const std::string&,
                          const job&) -> std::optional<std::int64_t> { throw 7; };
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    ++runs;
    throw std::runtime_error("boom");
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":3,"backoff":{"type":"custom"}})"));
    auto j = co_await q.add("custom", json::object{}, opts);
    {
      test::worker_thread w(name, proc, o);
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    }
    q.close();
  });
  EXPECT_EQ(runs.load(), 1);
}

// A C++ user's review: a 50,000-deep result overflowed the worker's stack. A result that
// cannot be written fails the attempt, as a JSON.stringify that throws fails Node's.
TEST_F(processor_outcomes_test, a_result_too_deep_to_store_fails_the_attempt) {
  auto proc = processor::async([](job_context&) -> net::awaitable<json::value> {
    json::value v = json::array();
    for (int k = 0; k < 5000; ++k) {  // deep enough; destroying it recurses
      json::array outer;
      outer.push_back(std::move(v));
      v = std::move(outer);
    }
    co_return v;
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("deep", json::object{});
    {
      test::worker_thread w(name, proc, wopts());
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    }
    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_NE(failed->failed_reason.value_or("").find("the result cannot be stored: a JSON value nested deeper than"),
              std::string::npos)
        << failed->failed_reason.value_or("");
    q.close();
  });
}

TEST_F(processor_outcomes_test, a_job_started_too_often_fails_without_running) {
  std::atomic<int> runs{0};
  auto o = wopts();
  o.max_started_attempts = 2;
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    ++runs;
    co_return 1;
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("restarted", json::object{});
    // As if two earlier workers had started it and died: this start is its third.
    cli("HSET bull:" + name + ":" + j.id + " ats 2");
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "job started more than allowable limit");
    q.close();
  });
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace drover

namespace drover {
namespace {

// A processor rarely catches a failed progress update or log line: while Redis is away
// they wait (up to a lock duration) instead of failing the job from inside it.
TEST_F(processor_outcomes_test, progress_and_logs_wait_while_redis_is_away_instead_of_failing_the_job) {
  DROVER_SKIP_ON_CLUSTER("a redis-server of its own, frozen for a while");
  test::redis_server server;
  std::atomic<bool> started{false}, frozen{false};
  auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    started = true;
    while (!frozen) co_await test::sleep_ms(20);
    co_await ctx.update_progress(json::value(50));
    std::string line = "after the outage";
    co_await ctx.log(std::move(line));
    co_return "done";
  });
  auto opts = wopts();
  opts.redis = server.options();
  opts.redis.command_timeout = 300ms;
  const queue_options own{"bull", server.options()};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, own);
    auto j = co_await q.add("through-an-outage", json::object{});
    test::worker_thread w(name, proc, opts);
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return started.load(); }));
    server.freeze();
    frozen = true;
    co_await test::sleep_ms(1200);
    server.thaw();
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }, 10s));
    auto done = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->progress, 50);
    EXPECT_EQ(done->attempts_made, 1);
    auto [logs, count] = co_await q.get_job_logs(j.id);
    EXPECT_EQ(logs, std::vector<std::string>{"after the outage"});
    q.close();
  });
}

}  // namespace
}  // namespace drover
