// processor_outcomes_test.cpp - a processor that puts its job back instead of finishing
// it: move_to_delayed and rate_limited, as Node's DelayedError and RateLimitError.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "core/clock.hpp"
#include "support/async.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace drover {
namespace {

using test::eventually;
using test::run_async;

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

TEST_F(processor_outcomes_test, rate_limited_hands_the_job_back_and_holds_the_worker) {
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
    test::worker_thread w(name, proc, wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    auto done = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->attempts_made, 1);
    EXPECT_GE(second_run_at.load() - limited_at.load(), 550);  // the worker waited the pause out
    q.close();
  });
  EXPECT_EQ(runs.load(), 2);
}

}  // namespace
}  // namespace drover
