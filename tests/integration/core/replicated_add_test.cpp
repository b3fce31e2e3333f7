// replicated_add_test.cpp - replicated adds (job_options::replication) against a real
// master and replica: with the replica in sync an add that asks for it returns with the
// job already on the replica; with the replica frozen (SIGSTOP) it fails with
// not_replicated after about its timeout, the job still on the master, while an add
// that does not ask succeeds. add, add_bulk and flow_producer::add alike; and on a Redis
// Cluster, where WAIT counts the replicas of the queue's master.
#include <drover/flow.hpp>
#include <drover/queue.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/engine_test.hpp"
#include "support/redis_cluster.hpp"
#include "support/replica_pair.hpp"

namespace drover {
namespace {

// Job data {"n": n}. Made outside the coroutines: GCC 12 refuses some braced
// initializers inside them ("array used as initializer").
json::value numbered(std::int64_t n) { return json::object{{"n", n}}; }

new_job bulk_job(const char* name, std::int64_t n, job_options o = {}) { return new_job{name, numbered(n), o}; }

job_options replicated(std::chrono::milliseconds timeout) {
  job_options o;
  o.replication.min_replicas = 1;
  o.replication.timeout = timeout;
  return o;
}

// Spawns q.add(...) on `io` and calls `ended` with its exception (null on success) and
// how long it took from `started`.
template <class Ended>
void spawn_add(net::io_context& io, queue& q, const json::value& data, const job_options& opts,
               std::chrono::steady_clock::time_point started, Ended ended) {
  net::co_spawn(
      io,
      [&q, &data, &opts]() -> net::awaitable<void> {
        auto j = co_await q.add("paid", data, opts);
        (void)j;
      },
      [started, ended](std::exception_ptr e) {
        ended(e, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started));
      });
}

class replicated_add_test : public ::testing::Test {
 protected:
  queue_options qopts() { return queue_options{"bull", servers.master().options()}; }
  std::string key(const std::string& id) const { return "bull:" + name + ":" + id; }
  // Whether the replica holds the job hash now.
  bool on_replica(const std::string& id) { return servers.replica().cli("EXISTS " + key(id)) == "1"; }
  bool on_master(const std::string& id) { return servers.master().cli("EXISTS " + key(id)) == "1"; }

  // Runs `add` (a coroutine factory taking the queue) and returns the not_replicated error
  // it threw, with how long it took; fails the test when it threw something else or nothing.
  template <class Add>
  std::pair<std::string, std::chrono::milliseconds> expect_not_replicated(Add add) {
    std::string what;
    auto started = std::chrono::steady_clock::now();
    try {
      run_async([&](net::io_context& io) -> net::awaitable<void> {
        queue q(io.get_executor(), name, qopts());
        co_await add(q);
      });
      ADD_FAILURE() << "the add succeeded with a frozen replica";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::not_replicated)) << e.what();
      what = e.what();
    }
    return {what, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)};
  }

  test::replica_pair servers;
  std::string name = test::unique_queue("replicated-add");
};

TEST_F(replicated_add_test, add_returns_with_the_job_on_the_replica) {
  std::string id;
  const auto data = numbered(1);
  const auto opts = replicated(2000ms);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("paid", data, opts);
    id = j.id;
  });
  // WAIT answered 1 or more: the replica has applied the add already.
  EXPECT_TRUE(on_replica(id));
  // Node sees the job as without the option: nothing of it is stored.
  EXPECT_EQ(servers.master().cli("HGET " + key(id) + " opts").find("eplica"), std::string::npos);
}

TEST_F(replicated_add_test, add_fails_after_its_timeout_when_the_replica_does_not_confirm) {
  servers.replica().freeze();
  const auto data = numbered(1);
  const auto opts = replicated(200ms);
  auto [what, took] = expect_not_replicated([&](queue& q) -> net::awaitable<void> {
    auto j = co_await q.add("paid", data, opts);
    (void)j;
  });
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2000ms);
  EXPECT_NE(what.find("reached 0 of 1 replica(s) within 200 ms"), std::string::npos) << what;
  EXPECT_NE(what.find("may still exist on the master"), std::string::npos) << what;
  // It did reach the master; the error names it.
  EXPECT_TRUE(on_master("1")) << what;
  EXPECT_NE(what.find("job 1 of queue " + name), std::string::npos) << what;

  // Without the option the add does not wait for anyone.
  const auto free_data = numbered(2);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("free", free_data);
    EXPECT_EQ(j.id, "2");
  });
  servers.replica().thaw();
}

TEST_F(replicated_add_test, add_bulk_waits_once_for_the_strictest_job) {
  std::vector<std::string> ids;
  std::vector<new_job> in_sync{bulk_job("a", 1), bulk_job("b", 2, replicated(2000ms))};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto added = co_await q.add_bulk(std::move(in_sync));
    for (const auto& j : added) ids.push_back(j.id);
  });
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(on_replica(ids[0]));
  EXPECT_TRUE(on_replica(ids[1]));

  servers.replica().freeze();
  std::vector<new_job> frozen{bulk_job("c", 3, replicated(200ms)), bulk_job("d", 4, replicated(100ms))};
  auto [what, took] = expect_not_replicated([&](queue& q) -> net::awaitable<void> {
    auto added = co_await q.add_bulk(std::move(frozen));
    (void)added;
  });
  EXPECT_GE(took, 190ms);  // the longer of the two timeouts
  EXPECT_LT(took, 2000ms);
  EXPECT_NE(what.find("2 jobs of queue " + name + " (3, 4) reached 0 of 1"), std::string::npos) << what;

  std::vector<new_job> plain{bulk_job("e", 5)};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto added = co_await q.add_bulk(std::move(plain));
    EXPECT_EQ(added.front().id, "5");
  });
  servers.replica().thaw();
}

// A WAIT blocks its connection on the server. Sent on the queue's connection, every call
// behind it waited, reads included, and concurrent adds waited for each other's WAITs
// until the command timeout failed them all as "no reply in time". Each add now waits
// on a lane of its own.
TEST_F(replicated_add_test, concurrent_adds_wait_side_by_side_and_reads_do_not_wait_behind_them) {
  servers.replica().freeze();
  auto opts = qopts();
  opts.redis.command_timeout = 1000ms;  // the API's
  const auto data = numbered(1);
  const auto wait_opts = replicated(500ms);
  constexpr int adds = 4;
  int not_replicated = 0;
  int other_failures = 0;
  std::chrono::milliseconds slowest_add{0};
  std::chrono::milliseconds read_took{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, opts);
    // Connected, the add script loaded, as in a running API (the first add after a
    // SCRIPT FLUSH meets NOSCRIPT and WAITs twice).
    auto warm = co_await q.add("warm", data);
    (void)warm;
    int done = 0;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < adds; ++i) {
      spawn_add(io, q, data, wait_opts, started, [&](std::exception_ptr e, std::chrono::milliseconds took) {
        ++done;
        slowest_add = std::max(slowest_add, took);
        try {
          if (e) std::rethrow_exception(e);
          ++other_failures;  // succeeded with a frozen replica
        } catch (const error& err) {
          if (err.is(errc::not_replicated)) {
            ++not_replicated;
          } else {
            ++other_failures;
            ADD_FAILURE() << err.what();
          }
        }
      });
    }
    co_await test::sleep_ms(50);
    const auto read_started = std::chrono::steady_clock::now();
    auto counts = co_await q.get_job_counts();
    read_took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - read_started);
    (void)counts;
    while (done < adds) co_await test::sleep_ms(20);
  });
  servers.replica().thaw();
  EXPECT_EQ(not_replicated, adds);
  EXPECT_EQ(other_failures, 0);
  // Side by side: about one timeout for all of them (one after the other, the later ones
  // ran into the command timeout, which other_failures counts).
  EXPECT_LT(slowest_add, 1500ms);
  EXPECT_LT(read_took, 450ms);  // behind a WAIT it would take its 500 ms
}

// Closing the queue ends a replicated add that waits on its lane, as it ends any other call.
TEST_F(replicated_add_test, closing_the_queue_fails_a_waiting_replicated_add_at_once) {
  servers.replica().freeze();
  const auto data = numbered(1);
  const auto wait_opts = replicated(3000ms);
  std::optional<errc> failed_with;
  std::chrono::milliseconds took{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto warm = co_await q.add("warm", data);  // the add script loaded: one WAIT, not two
    (void)warm;
    const auto started = std::chrono::steady_clock::now();
    bool done = false;
    spawn_add(io, q, data, wait_opts, started, [&](std::exception_ptr e, std::chrono::milliseconds add_took) {
      done = true;
      took = add_took;
      try {
        if (e) std::rethrow_exception(e);
      } catch (const error& err) {
        failed_with = err.is(errc::closed) ? errc::closed : errc::script_error;
        if (!err.is(errc::closed)) ADD_FAILURE() << err.what();
      }
    });
    co_await test::sleep_ms(200);
    q.close();
    while (!done) co_await test::sleep_ms(20);
  });
  servers.replica().thaw();
  EXPECT_EQ(failed_with, errc::closed);
  EXPECT_LT(took, 1500ms);  // not the WAIT's 3 s
}

TEST_F(replicated_add_test, a_flow_waits_after_its_transaction) {
  auto tree = [this](std::chrono::milliseconds timeout) {
    flow_job parent{"parent", name, "", numbered(0), replicated(timeout), {}};
    parent.children.push_back(flow_job{"child", name, "", numbered(1), {}, {}});
    return parent;
  };
  auto add_flow = [&](flow_job t) {
    std::optional<flow_node> added;
    run_async([&](net::io_context& io) -> net::awaitable<void> {
      flow_producer flows(io.get_executor(), flow_producer_options{"bull", servers.master().options()});
      added = co_await flows.add(std::move(t));
    });
    return *added;
  };
  auto added = add_flow(tree(2000ms));
  EXPECT_TRUE(on_replica(added.job.id));
  EXPECT_TRUE(on_replica(added.children.at(0).job.id));

  servers.replica().freeze();
  try {
    add_flow(tree(200ms));
    ADD_FAILURE() << "the flow was added with a frozen replica";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::not_replicated)) << e.what();
    EXPECT_NE(std::string(e.what()).find("the flow under job "), std::string::npos) << e.what();
  }
  servers.replica().thaw();
}

// The failover Redis's asynchronous replication loses writes in: the replica is cut off
// and promoted (REPLICAOF NO ONE, as Sentinel promotes it when it can no longer see the
// master), while producers still reach the old master, which acknowledges adds until it
// is demoted. Every add acknowledged meanwhile is lost; an add that asks for a replica is
// not acknowledged at all.
TEST_F(replicated_add_test, a_failover_loses_acknowledged_adds_only_without_replication) {
  constexpr int adds = 10;
  std::vector<std::string> before, plain, confirmed;
  int refused = 0;
  const auto data = numbered(0);
  const auto confirm = replicated(2000ms), confirm_soon = replicated(50ms);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < adds; ++i) {
      auto j = co_await q.add("before", data, confirm);
      before.push_back(j.id);
    }
  });
  EXPECT_EQ(servers.replica().cli("REPLICAOF NO ONE"), "OK");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < adds; ++i) {
      auto j = co_await q.add("plain", data);
      plain.push_back(j.id);
    }
    for (int i = 0; i < adds; ++i) {
      bool failed = false;
      try {
        auto j = co_await q.add("replicated", data, confirm_soon);
        confirmed.push_back(j.id);
      } catch (const error& e) {
        failed = e.is(errc::not_replicated);
      }
      if (failed) ++refused;
    }
  });
  servers.master().kill();  // the old master goes; what it alone held goes with it

  auto lost = [this](const std::vector<std::string>& ids) {
    int n = 0;
    for (const auto& id : ids) n += on_replica(id) ? 0 : 1;
    return n;
  };
  EXPECT_EQ(lost(before), 0);
  EXPECT_EQ(plain.size(), static_cast<std::size_t>(adds));  // acknowledged...
  EXPECT_EQ(lost(plain), adds);                             // ...and every one lost
  EXPECT_EQ(confirmed.size(), 0u);                          // none acknowledged...
  EXPECT_EQ(refused, adds);                                 // ...each refused with not_replicated
}

// On a Redis Cluster the WAIT goes on the queue's connection, to the master of its slot,
// which has one replica in the test cluster: one confirms, two cannot.
TEST(replicated_add_on_a_cluster, waits_for_the_replicas_of_the_queues_master) {
  auto& cluster = test::redis_cluster::shared();
  const auto name = "{" + test::unique_queue("replicated") + "}";
  const auto data = numbered(1);
  const auto one = replicated(2000ms);
  auto two = replicated(200ms);
  two.replication.min_replicas = 2;
  std::string refused;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, queue_options{"bull", cluster.options()});
    auto j = co_await q.add("paid", data, one);
    EXPECT_EQ(j.id, "1");
    try {
      auto k = co_await q.add("paid", data, two);
      ADD_FAILURE() << "two replicas confirmed job " << k.id;
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::not_replicated)) << e.what();
      refused = e.what();
    }
  });
  EXPECT_NE(refused.find("reached 1 of 2 replica(s) within 200 ms"), std::string::npos) << refused;
}

}  // namespace
}  // namespace drover
