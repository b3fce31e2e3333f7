// lost_fetch_test.cpp - a finish that fetched the next job, whose reply is lost after Redis
// ran it (src/core/worker/lost_fetch.cpp; issue 13): the fetched job must not wait in
// active for the stalled check.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "core/lua_scripts.hpp"
#include "redis/connection.hpp"
#include "support/engine_test.hpp"
#include "support/processors.hpp"
#include "support/queue_fixture.hpp"
#include "support/tcp_proxy.hpp"

namespace drover {
namespace {

class lost_fetch_test : public test::queue_fixture {
 protected:
  lost_fetch_test() : queue_fixture("lost-fetch") {}
};

TEST_F(lost_fetch_test, issue13_a_lost_reply_after_a_fetching_finish_hands_the_fetched_job_back) {
  DROVER_SKIP_ON_CLUSTER("a proxy in front of one redis-server");
  // The worker reaches Redis through a proxy that cuts its connection once Redis has
  // answered the first completion (drover's moveToFinishedLean, called with fetchNext),
  // before the worker reads the answer.
  test::tcp_proxy proxy(test::redis_server::shared().port());
  const auto& finish = detail::lua::move_to_finished_lean;
  std::map<std::string, int> runs;  // the processor and the test share the io_context's thread
  auto counting = processor::async([&runs](job_context& ctx) -> net::awaitable<json::value> {
    ++runs[ctx.job().id];
    co_return ctx.job().data;
  });
  auto opts = wopts();
  opts.redis.port = proxy.port();
  // BullMQ's defaults: a job the stalled check had to recover would wait about this long.
  opts.lock_duration = 30s;
  opts.stalled_interval = 30s;
  const auto started = std::chrono::steady_clock::now();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto first = co_await q.add("first", json::value(1));
    auto second = co_await q.add("second", json::value(2));
    // Loaded beforehand, so that the lost answer is the script's, not a NOSCRIPT.
    auto direct = redis::connection::create(io.get_executor(), redis());
    redis::command load{"SCRIPT", "LOAD", std::string(finish.source)};
    co_await direct->exec(std::move(load));
    direct->close();
    proxy.lose_reply_to(std::string(finish.sha1));

    worker w(io.get_executor(), name, counting, opts);
    // A completion Redis recorded whose reply was lost is a completion for the worker
    // too (a C++ user's review: no event, and stats one short of Redis's count).
    std::vector<std::string> completed_events;
    w.events().completed = [&](const job& j, const json::value&) { completed_events.push_back(j.id); };
    // Nor is the queue drained while the job that finish fetched goes back to wait.
    bool drained_before_second = false;
    w.events().drained = [&] { drained_before_second = drained_before_second || runs[second.id] == 0; };
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return count_is(q, "completed", 2); }, 10s));
    co_await w.close();
    EXPECT_TRUE(proxy.reply_lost());
    EXPECT_EQ(completed_events, (std::vector<std::string>{first.id, second.id}));
    EXPECT_EQ(w.stats().completed, 2u);
    EXPECT_FALSE(drained_before_second);
    auto fetched = co_await q.get_job(second.id);
    DROVER_CO_ASSERT_TRUE(fetched.has_value());
    EXPECT_EQ(fetched->stalled_counter, 0);
    EXPECT_EQ(fetched->attempts_made, 1);
    EXPECT_EQ(runs[first.id], 1);
    EXPECT_EQ(runs[second.id], 1);
    q.close();
  });
  // Far below the lock duration the stalled check would have waited for.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

// A Node user's review: with concurrency 1 the first job finished while the worker's
// blocking connection was being made (its PING in flight), the freed slot's notice went
// to nobody, and a job added just after waited out a second of polling (the README
// promises none). The proxy holds that PING for 300 ms, which the job ends within.
TEST_F(lost_fetch_test, a_slot_freed_while_the_blocking_connection_connects_is_used_at_once) {
  DROVER_SKIP_ON_CLUSTER("a proxy in front of one redis-server");
  test::tcp_proxy proxy(test::redis_server::shared().port());
  auto opts = wopts();
  opts.redis.port = proxy.port();
  opts.concurrency = 1;
  proxy.hold_request_with("PING", 300ms);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("first", json::value(1));
    worker w(io.get_executor(), name, test::echo(), opts);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return count_is(q, "completed", 1); }, 10s));
    // Past the held PING: the worker is between its fetches now.
    co_await test::sleep_ms(400);
    auto second = co_await q.add("second", json::value(2));
    EXPECT_TRUE(co_await eventually([&] { return count_is(q, "completed", 2); }, 10s));
    co_await w.close();
    auto j = co_await q.get_job(second.id);
    DROVER_CO_ASSERT_TRUE(j && j->processed_on);
    // A wake-up takes milliseconds; the lost one waited out the rest of the second (the
    // bound leaves a loaded machine its margin and still tells the two apart).
    EXPECT_LT(*j->processed_on - j->timestamp, 500);
    q.close();
  });
}

}  // namespace
}  // namespace drover
