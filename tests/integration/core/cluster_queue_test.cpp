// cluster_queue_test.cpp - queues, workers, event readers and flows on a real Redis
// Cluster: hash tags required, queues on every master, and a master's failover under load.
#include <drover/discovery.hpp>
#include <drover/flow.hpp>
#include <drover/manual_worker.hpp>
#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
#include <drover/worker.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "support/engine_test.hpp"
#include "support/processors.hpp"
#include "support/queue_fixture.hpp"
#include "support/redis_cluster.hpp"

namespace drover {
namespace {

using test::redis_cluster;

using test::echo;

queue_options qopts(const redis_cluster& cluster, std::string prefix = "bull") {
  return queue_options{std::move(prefix), cluster.options()};
}

worker_options wopts(const redis_cluster& cluster, std::string prefix = "bull") {
  worker_options o;
  o.prefix = std::move(prefix);
  o.redis = cluster.options();
  o.drain_delay = 200ms;
  return o;
}

// Expects `make` to throw invalid_argument saying to use a hash tag.
template <class Make>
void expect_hash_tag_error(Make make, const char* what) {
  try {
    make();
    ADD_FAILURE() << what << ": opened without a hash tag";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument)) << what;
    EXPECT_NE(std::string(e.what()).find("hash tag"), std::string::npos) << what << ": " << e.what();
  }
}

TEST(cluster_queue, refuses_a_queue_whose_keys_would_spread_over_slots) {
  auto& cluster = redis_cluster::shared();
  net::io_context io;
  auto ex = io.get_executor();
  expect_hash_tag_error([&] { queue q(ex, "untagged", qopts(cluster)); }, "queue");
  expect_hash_tag_error([&] { worker w(ex, "untagged", echo(), wopts(cluster)); }, "worker");
  expect_hash_tag_error(
      [&] {
        queue_events_options o;
        o.redis = cluster.options();
        queue_events e(ex, "untagged", o);
      },
      "queue_events");
  expect_hash_tag_error([&] { manual_worker m(ex, "untagged", wopts(cluster)); }, "manual_worker");
  // A tag that only opens in the prefix closes nowhere: refused too.
  expect_hash_tag_error([&] { queue q(ex, "q", qopts(cluster, "{bull")); }, "an unclosed tag");
  // Tagged either way: fine.
  EXPECT_NO_THROW(queue(ex, "{tagged}", qopts(cluster)));
  EXPECT_NO_THROW(queue(ex, "tagged", qopts(cluster, "{bull}")));
  EXPECT_EQ(cluster.cli("EXISTS bull:untagged:meta"), "0");
}

// Queue names whose slots are on different masters, one per master.
std::vector<std::string> one_queue_per_master(const redis_cluster& cluster, const std::string& stem) {
  std::vector<std::string> names;
  std::set<std::uint16_t> seen;
  for (int i = 0; seen.size() < cluster.master_ports().size() && i < 1000; ++i) {
    auto name = "{" + stem + std::to_string(i) + "}";
    if (seen.insert(cluster.master_port_for_key("bull:" + name + ":id")).second) names.push_back(name);
  }
  return names;
}

TEST(cluster_queue, queues_on_every_master_run_their_jobs_and_are_all_found) {
  auto& cluster = redis_cluster::shared();
  const auto names = one_queue_per_master(cluster, "cq-spread");
  ASSERT_EQ(names.size(), 3u);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    std::vector<std::unique_ptr<queue>> queues;
    std::vector<std::unique_ptr<worker>> workers;
    for (const auto& name : names) {
      queues.push_back(std::make_unique<queue>(io.get_executor(), name, qopts(cluster)));
      workers.push_back(std::make_unique<worker>(io.get_executor(), name, echo(), wopts(cluster)));
      workers.back()->start();
    }
    for (auto& q : queues) {
      for (int n = 0; n < 20; ++n) {
        auto add = q->add("job", test::with_n(n));  // named: GCC 12 and temporaries in co_await
        co_await std::move(add);
      }
    }
    for (auto& q : queues) {
      auto* qp = q.get();
      auto all_done = [qp]() -> net::awaitable<bool> {
        auto c = co_await qp->get_job_counts();
        co_return c["completed"] == 20;
      };
      EXPECT_TRUE(co_await eventually(all_done)) << q->name();
    }
    for (auto& w : workers) co_await w->close();
    auto where = cluster.options();
    where.connect_timeout = 2s;
    where.command_timeout = 2s;
    auto discover = discover_queues(io.get_executor(), where);
    auto found = co_await std::move(discover);
    for (const auto& name : names) {
      EXPECT_NE(std::find(found.begin(), found.end(), name), found.end()) << name << " not found on its master";
    }
    for (auto& q : queues) q->close();
  });
  for (const auto& name : names) {
    const auto owner = cluster.master_port_for_key("bull:" + name + ":id");
    EXPECT_EQ(cluster.node_cli(owner, "ZCARD bull:" + name + ":completed"), "20") << name;
  }
}

// A master that does not answer (or refuses) leaves its queues out of a discovery, not the
// others' (it failed whole, so /metrics and the dashboard lost every queue of the cluster).
TEST(cluster_queue, discovery_lists_the_queues_of_the_masters_that_answer) {
  redis_cluster cluster;
  const auto names = one_queue_per_master(cluster, "cq-partial");
  ASSERT_EQ(names.size(), 3u);
  // Not the first seed's master: the slot map still comes from there.
  const auto first_seed = cluster.options().cluster.seeds.front().port;
  std::vector<std::string> expected;
  std::uint16_t silent = 0;
  for (const auto& name : names) {
    const auto port = cluster.master_port_for_key("bull:" + name + ":id");
    if (silent == 0 && port != first_seed) {
      silent = port;
    } else {
      expected.push_back(name);
    }
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> found;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    for (const auto& name : names) {
      queue q(io.get_executor(), name, qopts(cluster));
      auto add = q.add("job", test::with_n(1));  // named: GCC 12 and temporaries in co_await
      co_await std::move(add);
      q.close();
    }
    // A master that refuses this client (as one that is away, at once): a password of its
    // own, taken back afterwards (the fixture reads the nodes without one).
    const auto where = cluster.options();
    cluster.node_cli(silent, "CONFIG SET requirepass not-the-clusters");
    auto discover = discover_queues(io.get_executor(), where);
    found = co_await std::move(discover);
    const auto restore = fmt::format(
        "redis-cli -p {} -a not-the-clusters --no-auth-warning CONFIG SET requirepass '' >/dev/null", silent);
    EXPECT_EQ(std::system(restore.c_str()), 0);
  });
  EXPECT_EQ(found, expected);
}

TEST(cluster_queue, a_flow_runs_when_its_queues_share_a_slot_and_is_refused_otherwise) {
  auto& cluster = redis_cluster::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    flow_producer_options fo;
    fo.redis = cluster.options();
    fo.prefix = "{cq-flow}";
    flow_producer flows(io.get_executor(), fo);
    flow_job parent;
    parent.name = "parent";
    parent.queue = "parents";
    flow_job child;
    child.name = "child";
    child.queue = "children";
    parent.children.push_back(child);
    auto add_flow = flows.add(std::move(parent));
    auto added = co_await std::move(add_flow);
    worker children(io.get_executor(), "children", echo(), wopts(cluster, "{cq-flow}"));
    worker parents(io.get_executor(), "parents", echo(), wopts(cluster, "{cq-flow}"));
    children.start();
    parents.start();
    queue pq(io.get_executor(), "parents", qopts(cluster, "{cq-flow}"));
    auto parent_done = [&]() -> net::awaitable<bool> {
      co_return co_await pq.get_job_state(added.job.id) == job_state::completed;
    };
    EXPECT_TRUE(co_await eventually(parent_done));
    co_await children.close();
    co_await parents.close();
    pq.close();

    // Tags in the queue names, different ones: two slots, one transaction cannot do it.
    flow_producer_options plain;
    plain.redis = cluster.options();
    flow_producer spread(io.get_executor(), plain);
    flow_job a;
    a.name = "a";
    a.queue = "{cq-flow-a}";
    flow_job b;
    b.name = "b";
    b.queue = "{cq-flow-b}";
    a.children.push_back(b);
    try {
      auto add_spread = spread.add(std::move(a));
      co_await std::move(add_spread);
      ADD_FAILURE() << "a flow over two slots was added";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_NE(std::string(e.what()).find("one slot"), std::string::npos) << e.what();
    }
    spread.close();
    flows.close();
  });
}

// Kill the master of a queue while a producer adds and a worker processes: the replica
// is promoted, both carry on within seconds of it, and nothing stays active. The adds wait
// for the replica (replicated adds, WAIT 1): none acknowledged is lost. Without it Redis's
// asynchronous replication may lose the last ones (replicated_add_test shows it).
// A reshard moves a queue's slot while its worker blocks on the marker: Redis ends the
// wait with MOVED, which the worker follows without reporting an error (it once logged
// one, advising a redis+cluster:// URL to a worker already using one).
TEST(cluster_queue, an_idle_worker_follows_its_queues_slot_to_another_master) {
  redis_cluster cluster;
  const std::string name = "{cq-move}";
  const std::string marker = "bull:" + name + ":marker";
  const int slot = cluster.slot_of(marker);
  const auto from = cluster.master_port_for_key(marker);
  std::uint16_t to = 0;
  for (auto port : cluster.master_ports()) {
    if (port != from) to = port;
  }
  std::vector<std::string> errors;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts(cluster));
    auto wo = wopts(cluster);
    wo.drain_delay = 5000ms;  // the move lands while the worker blocks on its marker
    worker w(io.get_executor(), name, echo(), wo);
    w.events().error = [&errors](const std::exception& e) { errors.push_back(e.what()); };
    w.start();
    auto completed = [&q](std::int64_t n) {
      return [&q, n]() -> net::awaitable<bool> {
        auto c = co_await q.get_job_counts();
        co_return c["completed"] == n;
      };
    };
    auto before = q.add("before", test::with_n(0));  // named: GCC 12 and temporaries in co_await
    co_await std::move(before);
    EXPECT_TRUE(co_await eventually(completed(1)));
    co_await test::sleep_ms(300);    // drained: blocked on the marker
    cluster.migrate_slot(slot, to);  // on this thread: the worker reads the MOVED afterwards
    auto after = q.add("after", test::with_n(1));
    co_await std::move(after);
    EXPECT_TRUE(co_await eventually(completed(2)));
    co_await w.close();
    q.close();
  });
  EXPECT_EQ(cluster.master_port_for_key(marker), to);
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST(cluster_queue, producer_and_worker_carry_on_through_a_failover) {
  redis_cluster cluster;
  const std::string name = "{cq-failover}";
  std::set<std::string> acknowledged, after_promotion;
  int refused = 0;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts(cluster));
    auto wo = wopts(cluster);
    wo.lock_duration = 2000ms;
    wo.stalled_interval = 1000ms;
    worker w(io.get_executor(), name, echo(), wo);
    w.start();
    // The killer crashes the queue's master, waits for its replica's promotion, then
    // starts the old master again: it rejoins as the new master's replica, and replicated
    // adds (WAIT 1) can be confirmed again.
    std::atomic<bool> promoted{false}, rejoined{false};
    std::thread killer;
    int after_rejoin = 0;
    const auto give_up = std::chrono::steady_clock::now() + 90s;
    for (int n = 0; after_rejoin < 50 && std::chrono::steady_clock::now() < give_up; ++n) {
      if (n == 100) {
        killer = std::thread([&] {
          const auto port = cluster.kill_master_for_key("bull:" + name + ":id");
          cluster.wait_for_failover();
          promoted = true;
          cluster.restart(port);
          rejoined = true;
        });
      }
      const bool was_promoted = promoted, was_rejoined = rejoined;
      try {
        job_options o;
        o.replication.min_replicas = 1;
        o.replication.timeout = 300ms;
        auto add = q.add("job", test::with_n(n), o);
        auto j = co_await std::move(add);
        acknowledged.insert(j.id);
        if (was_promoted) after_promotion.insert(j.id);
        if (was_rejoined) ++after_rejoin;
      } catch (const error& e) {
        EXPECT_TRUE(e.is(errc::redis_unavailable) || e.is(errc::redis_timeout) || e.is(errc::not_replicated))
            << e.what();
        ++refused;
      }
      co_await test::sleep_ms(n >= 100 && !rejoined ? 50 : 10);
    }
    killer.join();
    // Every job acknowledged after the promotion completes; none stays active.
    auto settled = [&]() -> net::awaitable<bool> {
      for (const auto& id : after_promotion) {
        if (co_await q.get_job_state(id) != job_state::completed) co_return false;
      }
      auto c = co_await q.get_job_counts();
      co_return c["active"] == 0 && c["waiting"] == 0;
    };
    EXPECT_TRUE(co_await eventually(settled, 30s));
    int lost = 0;
    for (const auto& id : acknowledged) {
      if (co_await q.get_job_state(id) != job_state::completed) ++lost;
    }
    std::printf(
        "failover: %zu replicated adds acknowledged (%zu after the promotion), %d refused during it, %d "
        "acknowledged and lost\n",
        acknowledged.size(), after_promotion.size(), refused, lost);
    EXPECT_EQ(lost, 0);
    co_await w.close();
    q.close();
  });
  EXPECT_GE(after_promotion.size(), 50u);
}

}  // namespace
}  // namespace drover
