// sharded_queue_test.cpp - a logical queue over N shards on a real Redis Cluster (shards on
// different masters, round robin, by key in order, one worker draining all) and on one Redis.
#include <drover/dead_letter_queue.hpp>
#include <drover/discovery.hpp>
#include <drover/sharded_queue.hpp>
#include <drover/sharded_worker.hpp>

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"

namespace drover {
namespace {

using test::redis_cluster;

queue_options on_cluster(const redis_cluster& cluster) { return queue_options{"bull", cluster.options()}; }

worker_options worker_on(redis_options redis, int concurrency) {
  worker_options o;
  o.redis = std::move(redis);
  o.drain_delay = 200ms;
  o.concurrency = concurrency;
  return o;
}

// The logical queue's count of `state` ("completed", ...).
net::awaitable<std::int64_t> total_in(sharded_queue& q, const char* state) {
  std::vector<std::string> types{std::string(state)};
  auto get = q.get_job_counts(std::move(types));
  auto counts = co_await std::move(get);
  co_return counts.total[state];
}

// A processor that notes, per key in the data, the order in which jobs ran.
struct order_log {
  std::mutex m;
  std::map<std::string, std::vector<std::int64_t>> by_key;

  processor record() {
    return processor::async([this](job_context& ctx) -> net::awaitable<json::value> {
      const auto& d = ctx.job().data.as_object();
      std::lock_guard lock(m);
      by_key[std::string(d.at("key").as_string())].push_back(d.at("n").as_int64());
      co_return nullptr;
    });
  }
};

TEST(sharded_queue, shards_land_on_different_masters_and_round_robin_spreads_evenly) {
  auto& cluster = redis_cluster::shared();
  const std::string name = test::unique_queue("sq-spread");
  std::set<std::uint16_t> masters;
  for (const auto& shard : shard_names(name, 3)) masters.insert(cluster.master_port_for_key("bull:" + shard + ":id"));
  EXPECT_EQ(masters.size(), 3u) << "three shards on three masters";
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 3, on_cluster(cluster));
    std::vector<new_job> bulk;
    for (int n = 0; n < 30; ++n) bulk.push_back(new_job{"job", test::with_n(n), {}});
    auto add_bulk = q.add_bulk(std::move(bulk));
    auto added = co_await std::move(add_bulk);
    for (int n = 30; n < 60; ++n) {
      auto add = q.add("job", test::with_n(n));
      co_await std::move(add);
    }
    auto get_counts = q.get_job_counts({"waiting"});
    auto counts = co_await std::move(get_counts);
    EXPECT_EQ(counts.total["waiting"], 60);
    for (const auto& c : counts.shards) EXPECT_EQ(c.at("waiting"), 20);
    // A job is found from its shard, or by looking in all of them.
    auto get_one = q.get_job(added[4].shard, added[4].job.id);
    auto one = co_await std::move(get_one);
    EXPECT_TRUE(one && one->job.data.at("n") == 4);
    auto find = q.get_job(added[5].job.id);
    EXPECT_TRUE((co_await std::move(find)).has_value());
    // Every shard is a queue on its own master that discovery finds like any other.
    auto discover = discover_queues(io.get_executor(), cluster.options());
    auto grouped = group_shards(co_await std::move(discover));
    auto it = std::find_if(grouped.sharded.begin(), grouped.sharded.end(), [&](auto& s) { return s.name == name; });
    EXPECT_TRUE(it != grouped.sharded.end() && it->shards == shard_names(name, 3));
    q.close();
  });
  for (const auto& shard : shard_names(name, 3)) {
    const auto owner = cluster.master_port_for_key("bull:" + shard + ":id");
    EXPECT_EQ(cluster.node_cli(owner, "LLEN bull:" + shard + ":wait"), "20") << shard;
  }
}

TEST(sharded_queue, one_keys_jobs_stay_on_one_shard_in_order_and_one_worker_drains_all_shards) {
  auto& cluster = redis_cluster::shared();
  const std::string name = test::unique_queue("sq-keys");
  order_log log;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 6, on_cluster(cluster));
    std::set<std::size_t> shards_used;
    for (int n = 0; n < 20; ++n) {
      for (int k = 0; k < 8; ++k) {
        const auto key = "customer-" + std::to_string(k);
        auto add = q.add("job", json::object{{"key", key}, {"n", n}}, {}, key);
        auto j = co_await std::move(add);
        EXPECT_EQ(j.shard, shard_for_key(key, 6));
        shards_used.insert(j.shard);
      }
    }
    EXPECT_GT(shards_used.size(), 2u);
    // One slot per shard: each shard runs its jobs one at a time, in the order added.
    sharded_worker w(io.get_executor(), name, 6, log.record(), worker_on(cluster.options(), 6), 1);
    w.start();
    auto all_done = [&]() -> net::awaitable<bool> { co_return co_await total_in(q, "completed") == 160; };
    EXPECT_TRUE(co_await eventually(all_done, 20s));
    EXPECT_EQ(w.stats().completed, 160u);
    EXPECT_EQ(w.stats().concurrency, 6u);
    co_await w.close();
    // Every shard is found, jobs or not: the logical queue is listed whole.
    auto discover = discover_queues(io.get_executor(), cluster.options());
    auto grouped = group_shards(co_await std::move(discover));
    auto it = std::find_if(grouped.sharded.begin(), grouped.sharded.end(), [&](auto& s) { return s.name == name; });
    EXPECT_TRUE(it != grouped.sharded.end() && it->shards.size() == 6u);
    q.close();
  });
  ASSERT_EQ(log.by_key.size(), 8u);
  for (const auto& [key, order] : log.by_key) {
    std::vector<std::int64_t> expected(20);
    for (int n = 0; n < 20; ++n) expected[std::size_t(n)] = n;
    EXPECT_EQ(order, expected) << key;
  }
}

TEST(sharded_queue, a_worker_takes_from_every_shard_fairly) {
  auto& cluster = redis_cluster::shared();
  const std::string name = test::unique_queue("sq-fair");
  std::mutex m;
  std::map<std::string, int> first_half;  // shard -> jobs among the first 30 run
  int ran = 0;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 3, on_cluster(cluster));
    // A backlog on every shard, shard 0 much deeper: the others are not starved behind it.
    for (std::size_t s = 0; s < 3; ++s) {
      std::vector<new_job> bulk;
      for (int n = 0; n < (s == 0 ? 300 : 30); ++n) bulk.push_back(new_job{"job", test::with_n(n), {}});
      auto add = q.shard(s).add_bulk(std::move(bulk));
      co_await std::move(add);
    }
    auto slow = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
      {
        std::lock_guard lock(m);
        if (ran++ < 30) ++first_half[ctx.queue_key()];
      }
      co_await test::sleep_ms(5);
      co_return nullptr;
    });
    sharded_worker w(io.get_executor(), name, 3, slow, worker_on(cluster.options(), 3));
    w.start();
    auto enough = [&]() -> net::awaitable<bool> {
      std::lock_guard lock(m);
      co_return ran >= 30;
    };
    EXPECT_TRUE(co_await eventually(enough, 20s));
    co_await w.close(1s);
    auto clean = q.obliterate(true);
    co_await std::move(clean);
    q.close();
  });
  ASSERT_EQ(first_half.size(), 3u);
  for (const auto& [shard, n] : first_half) EXPECT_GE(n, 6) << shard;
}

TEST(sharded_queue, one_busy_shard_may_use_the_whole_budget) {
  auto& cluster = redis_cluster::shared();
  const std::string name = test::unique_queue("sq-budget");
  std::mutex m;
  int running = 0, most = 0;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 3, on_cluster(cluster));
    // Every job on one shard, the other two empty.
    std::vector<new_job> bulk;
    for (int n = 0; n < 24; ++n) bulk.push_back(new_job{"job", test::with_n(n), {}});
    auto add = q.shard(1).add_bulk(std::move(bulk));
    co_await std::move(add);
    auto slow = processor::async([&](job_context&) -> net::awaitable<json::value> {
      {
        std::lock_guard lock(m);
        most = std::max(most, ++running);
      }
      co_await test::sleep_ms(30);
      {
        std::lock_guard lock(m);
        --running;
      }
      co_return nullptr;
    });
    sharded_worker w(io.get_executor(), name, 3, slow, worker_on(cluster.options(), 4));
    w.start();
    auto all_done = [&]() -> net::awaitable<bool> { co_return co_await total_in(q, "completed") == 24; };
    EXPECT_TRUE(co_await eventually(all_done, 20s));
    EXPECT_EQ(w.stats().concurrency, 4u);
    co_await w.close();
    q.close();
  });
  // Not split four ways into 2 + 1 + 1: the busy shard ran four at once, never more.
  EXPECT_EQ(most, 4);
}

TEST(sharded_queue, a_sharded_workers_dead_letters_stay_in_each_shards_slot) {
  // The failure and its copy are one script: the copy must be in the shard's slot.
  auto& cluster = redis_cluster::shared();
  const std::string name = test::unique_queue("sq-dlq");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 3, on_cluster(cluster));
    for (int n = 0; n < 3; ++n) {
      auto add = q.add("job", test::with_n(n), {}, "key-" + std::to_string(n));
      co_await std::move(add);
    }
    auto opts = worker_on(cluster.options(), 3);
    opts.dead_letter_queue = dead_letter_queue::name_for(name);
    sharded_worker w(io.get_executor(), name, 3, processor::async([](job_context&) -> net::awaitable<json::value> {
                       throw unrecoverable_error("no");
                       co_return nullptr;
                     }),
                     opts);
    w.start();
    auto all_failed = [&]() -> net::awaitable<bool> { co_return co_await total_in(q, "failed") == 3; };
    EXPECT_TRUE(co_await eventually(all_failed, 20s));
    co_await w.close(1s);
    q.close();
  });
  std::int64_t dead = 0;
  for (const auto& shard : shard_names(name, 3)) {
    const auto owner = cluster.master_port_for_key("bull:" + shard + ":id");
    const auto failed = std::stoll(cluster.node_cli(owner, "ZCARD bull:" + shard + ":failed"));
    EXPECT_EQ(cluster.node_cli(owner, "LLEN bull:" + dead_letter_queue::name_for(shard) + ":wait"),
              std::to_string(failed))
        << shard;
    dead += failed;
  }
  EXPECT_EQ(dead, 3);
}

TEST(sharded_queue, a_tagged_prefix_is_refused_on_a_cluster) {
  auto& cluster = redis_cluster::shared();
  net::io_context io;
  try {
    sharded_queue q(io.get_executor(), "sq-tagged", 3, queue_options{"{bull}", cluster.options()});
    ADD_FAILURE() << "a tagged prefix was accepted";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument));
    EXPECT_NE(std::string(e.what()).find("one slot"), std::string::npos) << e.what();
  }
}

TEST(sharded_queue, each_shard_may_have_a_processor_of_its_own) {
  auto& server = test::redis_server::shared();
  const std::string name = test::unique_queue("sq-per-shard");
  const auto names = shard_names(name, 3);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 3, queue_options{"bull", server.options()});
    for (std::size_t s = 0; s < 3; ++s) {
      auto add = q.shard(s).add("job", json::object{});
      co_await std::move(add);
    }
    auto make = [](std::size_t index, const std::string& queue) {
      return processor::async([index, queue](job_context&) -> net::awaitable<json::value> {
        co_return json::string(queue + "#" + std::to_string(index));
      });
    };
    sharded_worker w(io.get_executor(), name, 3, make, worker_on(server.options(), 3));
    w.start();
    auto all_done = [&]() -> net::awaitable<bool> { co_return co_await total_in(q, "completed") == 3; };
    EXPECT_TRUE(co_await eventually(all_done));
    co_await w.close();
    q.close();
  });
  // Job 1 of each shard was run by that shard's own processor.
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_EQ(server.cli("HGET bull:" + names[s] + ":1 returnvalue"), "\"" + names[s] + "#" + std::to_string(s) + "\"");
  }
}

TEST(sharded_queue, works_on_a_single_redis_as_n_queues) {
  auto& server = test::redis_server::shared();
  const std::string name = test::unique_queue("sq-single");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 4, queue_options{"bull", server.options()});
    for (int n = 0; n < 40; ++n) {
      auto add = q.add("job", test::with_n(n));
      co_await std::move(add);
    }
    // A custom id goes to one shard however often it is added: still unique.
    job_options same;
    same.job_id = "only-once";
    for (int n = 0; n < 3; ++n) {
      auto add = q.add("job", test::with_n(n), same);
      auto j = co_await std::move(add);
      EXPECT_EQ(j.shard, shard_for_key("only-once", 4));
    }
    EXPECT_EQ(co_await total_in(q, "waiting"), 41);
    sharded_worker w(io.get_executor(), name, 4, processor::async([](job_context& ctx) -> net::awaitable<json::value> {
                       co_return ctx.job().data;
                     }),
                     worker_on(server.options(), 8));
    w.start();
    auto all_done = [&]() -> net::awaitable<bool> { co_return co_await total_in(q, "completed") == 41; };
    EXPECT_TRUE(co_await eventually(all_done));
    co_await w.close();
    q.close();
  });
  EXPECT_EQ(server.cli("LLEN bull:" + shard_names(name, 4)[0] + ":wait"), "0");
}

// A batch for one shard is written there and nowhere else: a producer batching per shard
// (the API's sends) is held up by that shard's master alone.
TEST(sharded_queue, add_bulk_to_writes_one_shard_only) {
  auto& server = test::redis_server::shared();
  const std::string name = test::unique_queue("sq-to");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue q(io.get_executor(), name, 3, queue_options{"bull", server.options()});
    std::vector<new_job> bulk;
    for (int n = 0; n < 5; ++n) bulk.push_back({"job", test::with_n(n), {}});
    auto add = q.add_bulk_to(2, std::move(bulk));
    auto added = co_await std::move(add);
    DROVER_CO_ASSERT_TRUE(added.size() == 5u);
    for (const auto& a : added) {
      EXPECT_EQ(a.shard, 2u);
      EXPECT_EQ(a.queue, shard_names(name, 3)[2]);
    }
    std::vector<std::string> waiting{"waiting"};
    auto get = q.get_job_counts(std::move(waiting));
    auto counts = co_await std::move(get);
    EXPECT_EQ(counts.total["waiting"], 5);
    EXPECT_EQ(counts.shards[0]["waiting"], 0);
    EXPECT_EQ(counts.shards[2]["waiting"], 5);
    std::vector<new_job> beyond;
    beyond.push_back({"job", test::with_n(0), {}});
    bool refused = false;
    try {
      auto add_beyond = q.add_bulk_to(3, std::move(beyond));
      co_await std::move(add_beyond);
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);
    q.close();
  });
}

}  // namespace
}  // namespace drover
