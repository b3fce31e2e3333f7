// app_queue_test.cpp - drover_app/app_queue.hpp on a private redis-server: a job queued
// beside another queue's shard lands on the shard in the same part of the slots.
#include <drover_app/app_queue.hpp>

#include <drover/shard_names.hpp>

#include <gtest/gtest.h>

#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace drover::app {
namespace {

namespace net = boost::asio;
namespace json = boost::json;

TEST(app_queue, the_shard_beside_another_queues_shard_shares_its_part_of_the_slots) {
  net::io_context io;
  const queue_options opts;
  app_queue three(io.get_executor(), "webhook-delivery", 3, opts);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(three.shard_beside(i, 3), i);  // as many shards: the same
  // Fewer: the one whose part holds the middle of the other's.
  app_queue two(io.get_executor(), "webhook-delivery", 2, opts);
  EXPECT_EQ(two.shard_beside(0, 4), 0u);
  EXPECT_EQ(two.shard_beside(1, 4), 0u);
  EXPECT_EQ(two.shard_beside(2, 4), 1u);
  EXPECT_EQ(two.shard_beside(3, 4), 1u);
  app_queue eight(io.get_executor(), "webhook-delivery", 8, opts);
  EXPECT_EQ(eight.shard_beside(0, 2), 2u);
  EXPECT_EQ(eight.shard_beside(1, 2), 6u);
  app_queue plain(io.get_executor(), "webhook-delivery", 0, opts);
  EXPECT_EQ(plain.shard_beside(2, 3), 0u);
}

TEST(app_queue, add_beside_puts_the_job_on_that_shard_and_answers_its_app_id) {
  test::redis_server redis;
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    app_queue q(io.get_executor(), "deliveries", 3, queue_options{"bull", redis.options()});
    json::value data = json::object{{"n", 1}};
    auto added = co_await q.add_beside("d", data, {}, 2, 3);
    EXPECT_EQ(added.id.substr(0, 2), "2-");
    auto found = co_await q.get_job(added.id);
    EXPECT_TRUE(found.has_value());
    q.close();
  });
  EXPECT_EQ(redis.cli("LLEN 'bull:" + shard_name("deliveries", 2, 3) + ":wait'"), "1");
}

}  // namespace
}  // namespace drover::app
