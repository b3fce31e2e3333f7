// running_jobs_test.cpp - the table of running jobs without Redis: its thread-safe
// count follows it, and wait_until_empty() ends when the last job leaves, not later.
#include "core/worker/running_jobs.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <optional>

#include "support/async.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover::detail {
namespace {

using clock = std::chrono::steady_clock;

TEST(running_jobs, count_follows_the_table) {
  net::io_context io;
  running_jobs r(io.get_executor());
  r.add("1", running_job{"t:1"});
  r.add("2", running_job{"t:2"});
  EXPECT_EQ(r.count(), 2u);
  ASSERT_NE(r.find("1"), nullptr);
  EXPECT_EQ(r.find("1")->token, "t:1");
  r.remove("1", "t:1");
  EXPECT_EQ(r.find("1"), nullptr);
  EXPECT_EQ(r.count(), 1u);
  r.clear();
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.count(), 0u);
}

// A worker stalled while alive (stopped past its lock) takes its job again in another
// slot: the first run, ending late, must not remove the second's entry, whose lock would
// then no longer be renewed.
TEST(running_jobs, a_run_removes_only_its_own_entry) {
  net::io_context io;
  running_jobs r(io.get_executor());
  r.add("1", running_job{"slot-a"});
  r.add("1", running_job{"slot-b"});  // taken again after a stall
  r.remove("1", "slot-a");            // the stale run ends
  ASSERT_NE(r.find("1"), nullptr);
  EXPECT_EQ(r.find("1")->token, "slot-b");
  EXPECT_EQ(r.count(), 1u);
  r.remove("1", "slot-b");
  EXPECT_TRUE(r.empty());
}

TEST(running_jobs, the_wait_ends_when_the_last_job_leaves) {
  net::io_context io;
  running_jobs r(io.get_executor());
  r.add("1", running_job{"t:1"});
  r.add("2", running_job{"t:2"});
  std::optional<bool> emptied;
  net::co_spawn(io, r.wait_until_empty(clock::now() + std::chrono::hours(1)),
                [&](std::exception_ptr, bool e) { emptied = e; });
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        co_await test::sleep_ms(10);
        r.remove("1", "t:1");  // one still runs: the wait goes on
        co_await test::sleep_ms(10);
        EXPECT_FALSE(emptied.has_value());
        // The last leaves and another starts at once (a finish that fetched the next job):
        // still not empty when the waiter looks.
        r.remove("2", "t:2");
        r.add("3", running_job{"t:3"});
        co_await test::sleep_ms(10);
        EXPECT_FALSE(emptied.has_value());
        r.remove("3", "t:3");
      },
      net::detached);
  io.run_for(30s);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(emptied, true);
}

TEST(running_jobs, the_wait_ends_at_its_deadline_while_a_job_runs) {
  net::io_context io;
  running_jobs r(io.get_executor());
  r.add("1", running_job{"t:1"});
  std::optional<bool> emptied;
  net::co_spawn(io, r.wait_until_empty(clock::now() + 30ms), [&](std::exception_ptr, bool e) { emptied = e; });
  io.run_for(30s);
  EXPECT_EQ(emptied, false);
}

}  // namespace
}  // namespace drover::detail
