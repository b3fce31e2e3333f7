// manual_worker_test.cpp - manual fetching (Node's getNextJob with moveToCompleted,
// moveToFailed and extendLock) against a real redis-server: what each call leaves in Redis.
#include <drover/manual_worker.hpp>
#include <drover/queue.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <chrono>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

// Built outside the coroutines: GCC 12 cannot compile a braced json::object inside one.
using test::with_n;
json::value ok() { return json::object{{"ok", true}}; }

class manual_worker_test : public test::queue_fixture {
 protected:
  manual_worker_test() : queue_fixture("manual-worker") {}
};

TEST_F(manual_worker_test, takes_a_job_completes_it_and_fetches_the_next_with_the_same_token) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto first = co_await q.add("one", with_n(1));
    auto second = co_await q.add("two", with_n(2));
    manual_worker w(io.get_executor(), name, wopts());
    // Named: GCC 12 mishandles a literal turned into a coroutine's by-value parameter.
    const std::string a = "token-a", t = "t", mine = "mine", theirs = "theirs";
    auto j = co_await w.get_next_job(a);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->id, first.id);
    EXPECT_EQ(cli("GET " + key(j->id + ":lock")), "token-a");
    EXPECT_TRUE(co_await state_is(q, j->id, job_state::active));

    json::value result = ok();
    auto next = co_await w.move_to_completed(*j, std::move(result), a);
    DROVER_CO_ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->id, second.id);
    EXPECT_EQ(cli("GET " + key(next->id + ":lock")), "token-a");

    json::value last = 2;
    auto none = co_await w.move_to_completed(*next, std::move(last), a, false);
    EXPECT_FALSE(none.has_value());
    auto done = co_await q.get_job(first.id);
    DROVER_CO_ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->returnvalue, ok());
    EXPECT_EQ(done->attempts_made, 1);
    EXPECT_TRUE(co_await count_is(q, "completed", 2));
    EXPECT_EQ(cli("EXISTS " + key(first.id + ":lock")), "0");
    w.close();
    q.close();
  });
}

TEST_F(manual_worker_test, a_failure_is_retried_while_attempts_remain_then_recorded) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    job_options o;
    o.attempts = 2;
    auto added = co_await q.add("flaky", json::object{}, o);
    manual_worker w(io.get_executor(), name, wopts());
    // Named: GCC 12 mishandles a literal turned into a coroutine's by-value parameter.
    const std::string a = "token-a", t = "t", mine = "mine", theirs = "theirs";
    auto j = co_await w.get_next_job(t);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    co_await w.move_to_failed(*j, "first try", t);
    EXPECT_TRUE(co_await state_is(q, added.id, job_state::waiting));
    j = co_await w.get_next_job(t);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->attempts_made, 1);
    co_await w.move_to_failed(*j, "second try", t);
    auto failed = co_await q.get_job(added.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "second try");
    EXPECT_EQ(failed->attempts_made, 2);
    EXPECT_EQ(failed->stacktrace.size(), 2u);
    EXPECT_TRUE(co_await state_is(q, added.id, job_state::failed));
    w.close();
    q.close();
  });
}

TEST_F(manual_worker_test, an_unrecoverable_failure_ends_the_job_and_can_fetch_the_next) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    job_options o;
    o.attempts = 5;
    auto bad = co_await q.add("bad", json::object{}, o);
    auto good = co_await q.add("good", json::object{});
    manual_worker w(io.get_executor(), name, wopts());
    // Named: GCC 12 mishandles a literal turned into a coroutine's by-value parameter.
    const std::string a = "token-a", t = "t", mine = "mine", theirs = "theirs";
    auto j = co_await w.get_next_job(t);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    auto next = co_await w.move_to_failed(*j, "broken input", t, true, true);
    EXPECT_TRUE(co_await state_is(q, bad.id, job_state::failed));
    DROVER_CO_ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->id, good.id);
    EXPECT_EQ(cli("GET " + key(good.id + ":lock")), "t");
    w.close();
    q.close();
  });
}

TEST_F(manual_worker_test, another_token_cannot_finish_or_extend_the_job) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("held", json::object{});
    manual_worker w(io.get_executor(), name, wopts());
    // Named: GCC 12 mishandles a literal turned into a coroutine's by-value parameter.
    const std::string a = "token-a", t = "t", mine = "mine", theirs = "theirs";
    auto j = co_await w.get_next_job(mine);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    errc refused{};
    try {
      json::value v = 1;
      co_await w.move_to_completed(*j, std::move(v), theirs, false);
    } catch (const error& e) {
      refused = static_cast<errc>(e.code().value());
    }
    EXPECT_EQ(refused, errc::lock_mismatch);
    bool extend_refused = false;
    try {
      co_await w.extend_lock(*j, theirs, 60s);
    } catch (const error& e) {
      extend_refused = e.is(errc::lock_missing);
    }
    EXPECT_TRUE(extend_refused);
    EXPECT_TRUE(co_await state_is(q, j->id, job_state::active));

    co_await w.extend_lock(*j, mine, 60s);
    EXPECT_GT(std::stoll(cli("PTTL " + key(j->id + ":lock"))), 45000);
    w.close();
    q.close();
  });
}

TEST_F(manual_worker_test, a_blocking_take_waits_for_a_job_added_later) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    manual_worker w(io.get_executor(), name, wopts());
    // Named: GCC 12 mishandles a literal turned into a coroutine's by-value parameter.
    const std::string a = "token-a", t = "t", mine = "mine", theirs = "theirs";
    auto started = std::chrono::steady_clock::now();
    auto none = co_await w.get_next_job(t, 300ms);
    EXPECT_FALSE(none.has_value());
    EXPECT_GE(std::chrono::steady_clock::now() - started, 290ms);

    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          co_await test::sleep_ms(200);
          co_await q.add("late", json::object{});
        },
        net::detached);
    started = std::chrono::steady_clock::now();
    auto j = co_await w.get_next_job(t, 5s);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->name, "late");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    w.close();
    q.close();
  });
}

}  // namespace
}  // namespace drover
