// blocking_queue_test.cpp - the blocking facade, used from plain threads.
#include <drover/blocking_queue.hpp>

#include <gtest/gtest.h>

#include <thread>

#include "support/async.hpp"
#include "support/redis_server.hpp"
#include "support/suite_cluster.hpp"

namespace json = boost::json;

namespace drover {
namespace {

TEST(blocking_queue, adds_and_reads_from_several_threads) {
  auto name = test::suite_queue_name("blocking");
  blocking_queue q(name, queue_options{"bull", test::suite_redis_options()});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&q, t] {
      for (int i = 0; i < 25; ++i) {
        json::object data;
        data["t"] = t;
        q.add("from-thread", data);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(q.get_job_counts()["waiting"], 100);
  auto j = q.get_job("1");
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->name, "from-thread");
  EXPECT_FALSE(q.get_job("nope").has_value());
  q.pause();
  EXPECT_TRUE(q.is_paused());
  EXPECT_TRUE(q.remove("1"));
  EXPECT_EQ(q.get_job_state("2"), job_state::waiting);
}

TEST(blocking_queue, reports_an_unreachable_redis_as_an_error) {
  DROVER_SKIP_ON_CLUSTER("stops a redis-server of its own");
  test::redis_server server;
  auto opts = server.options();
  server.stop();
  blocking_queue q("unreachable", queue_options{"bull", opts});
  try {
    q.add("x", json::object());
    FAIL() << "add succeeded with no Redis";
  } catch (const drover::error& e) {
    EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
  }
}

}  // namespace
}  // namespace drover
