// remove_orphaned_jobs_test.cpp - queue::remove_orphaned_jobs (Node's removeOrphanedJobs):
// job hashes in no state go with their sub-keys; jobs in a state, the queue's own keys
// and their sub-keys stay.
#include <drover/queue.hpp>

#include <gtest/gtest.h>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

class remove_orphaned_jobs_test : public test::queue_fixture {
 protected:
  remove_orphaned_jobs_test() : queue_fixture("orphans") {}

  // A job hash with a log, referenced by no state: what BullMQ 5.66.6's removal by age left.
  void orphan(const std::string& id) {
    cli("HSET " + key(id) + " name lost data {} timestamp 1");
    cli("RPUSH " + key(id + ":logs") + " line");
  }
};

TEST_F(remove_orphaned_jobs_test, removes_only_jobs_in_no_state) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto kept = co_await q.add("kept", json::object{});
    co_await q.add_log(kept.id, "a line");
    orphan("lost-1");
    orphan("lost-2");
    cli("HSET " + key("repeat:daily") + " every 1000");  // a scheduler: the queue's, not a job's
    cli("SET " + key("de:dedup") + " 7");
    cli("SET " + key("something:else") + " x");  // not a job's sub-key: left alone

    auto removed = co_await q.remove_orphaned_jobs(10);
    EXPECT_EQ(removed, 2);
    EXPECT_EQ(cli("EXISTS " + key("lost-1") + " " + key("lost-1:logs") + " " + key("lost-2")), "0");
    EXPECT_EQ(cli("EXISTS " + key(kept.id) + " " + key(kept.id + ":logs")), "2");
    EXPECT_EQ(cli("EXISTS " + key("repeat:daily") + " " + key("de:dedup") + " " + key("something:else")), "3");
    EXPECT_EQ(cli("EXISTS " + key("meta") + " " + key("events") + " " + key("wait")), "3");
    EXPECT_EQ(co_await q.remove_orphaned_jobs(), 0);
    q.close();
  });
}

TEST_F(remove_orphaned_jobs_test, stops_once_the_limit_is_reached) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < 30; ++i) orphan("o" + std::to_string(i));
    // Two keys scanned per step: each batch removes at most one or two jobs.
    auto first = co_await q.remove_orphaned_jobs(2, 5);
    EXPECT_GE(first, 5);
    EXPECT_LT(first, 30);
    auto rest = co_await q.remove_orphaned_jobs(1000, 0);
    EXPECT_EQ(first + rest, 30);
    q.close();
  });
}

}  // namespace
}  // namespace drover
