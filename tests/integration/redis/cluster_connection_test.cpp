// cluster_connection_test.cpp - the connection on a real Redis Cluster: found through any
// seed, on the master of its slot, through a slot migration under load (ASK, then MOVED)
// and after a failover; refusing a server that is not a cluster node.
#include "redis/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <thread>

#include "redis/hash_slot.hpp"
#include "support/async.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/tls_redis_server.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover::redis {
namespace {

using test::redis_cluster;
using test::run_async;

// The cluster's options with a seed list that starts at a master not owning `key`, so
// that reaching the right one takes the slot map.
redis_options seeded_away_from(const redis_cluster& cluster, const std::string& key) {
  auto opts = cluster.options();
  const auto owner = cluster.master_port_for_key(key);
  std::stable_partition(opts.cluster.seeds.begin(), opts.cluster.seeds.end(),
                        [&](const redis_endpoint& e) { return e.port != owner; });
  opts.host = opts.cluster.seeds.front().host;
  opts.port = opts.cluster.seeds.front().port;
  return opts;
}

bool client_named_on(const redis_cluster& cluster, std::uint16_t port, const std::string& name) {
  return cluster.node_cli(port, "CLIENT LIST").find("name=" + name + " ") != std::string::npos;
}

TEST(cluster_connection, talks_to_the_master_of_its_slot_whichever_seed_comes_first) {
  auto& cluster = redis_cluster::shared();
  const std::string key = "{cc-slot}:k";
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), seeded_away_from(cluster, key), "cc-slot", hash_slot(key));
    command set{"SET", key, "v"};
    auto r = co_await conn->exec(std::move(set));
    EXPECT_EQ(r.as_string(), "OK");
    EXPECT_TRUE(client_named_on(cluster, cluster.master_port_for_key(key), "cc-slot"));
    conn->close();
  });
  EXPECT_EQ(cluster.node_cli(cluster.master_port_for_key(key), "GET " + key), "v");
}

TEST(cluster_connection, a_connection_without_a_slot_follows_moved_to_each_key) {
  auto& cluster = redis_cluster::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), cluster.options());
    // Keys on every master in turn: each first call is answered MOVED, then sent again.
    for (int i = 0; i < 12; ++i) {
      const auto key = "cc-any:" + std::to_string(i);
      command set{"SET", key, std::to_string(i)};
      auto r = co_await conn->exec(std::move(set));
      EXPECT_EQ(r.as_string(), "OK") << key << ": " << r.str;
    }
    conn->close();
  });
  for (int i = 0; i < 12; ++i) EXPECT_EQ(cluster.cli("GET cc-any:" + std::to_string(i)), std::to_string(i));
}

// Hundreds of INCRs in flight while the slot moves to another master: keys already moved
// are asked on the importing node (ASK), then the slot's new owner answers (MOVED). Each
// INCR must run exactly once: none lost, none twice.
TEST(cluster_connection, a_slot_migration_under_load_loses_and_repeats_nothing) {
  redis_cluster cluster;
  const std::string key = "{cc-move}:counter";
  const int slot = cluster.slot_of(key);
  const auto from = cluster.master_port_for_key(key);
  std::uint16_t to = 0;
  for (auto port : cluster.master_ports()) {
    if (port != from) to = port;
  }
  int ok = 0, failed = 0;
  std::string first_failure;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), cluster.options(), "cc-move", hash_slot(key));
    command warm{"SET", key, "0"};
    co_await conn->exec(std::move(warm));
    std::atomic<bool> moved{false};
    std::thread mover([&] {
      cluster.migrate_slot(slot, to);
      moved = true;
    });
    int in_flight = 0;
    auto one = [&]() -> net::awaitable<void> {
      command incr{"INCR", key};
      try {
        auto r = co_await conn->exec(std::move(incr));
        if (r.is_integer()) {
          ++ok;
        } else {
          if (first_failure.empty()) first_failure = r.str;
          ++failed;
        }
      } catch (const std::exception& e) {
        if (first_failure.empty()) first_failure = e.what();
        ++failed;
      }
      --in_flight;
    };
    // Keep about 50 in flight until the slot has moved, and a while after.
    int after = 0;
    while (after < 200) {
      while (in_flight < 50) {
        ++in_flight;
        net::co_spawn(io, one(), net::detached);
      }
      co_await test::sleep_ms(1);
      if (moved) ++after;
    }
    while (in_flight > 0) co_await test::sleep_ms(5);
    mover.join();
    EXPECT_TRUE(client_named_on(cluster, to, "cc-move"));  // followed the slot
    conn->close();
  });
  EXPECT_EQ(failed, 0) << first_failure;
  EXPECT_GT(ok, 0);
  EXPECT_EQ(cluster.master_port_for_key(key), to);
  EXPECT_EQ(cluster.node_cli(to, "GET " + key), std::to_string(ok));
}

TEST(cluster_connection, asks_the_importing_node_for_a_key_already_moved) {
  redis_cluster cluster;
  const std::string key = "{cc-ask}:k";
  const int slot = cluster.slot_of(key);
  const auto from = cluster.master_port_for_key(key);
  std::uint16_t to = 0;
  for (auto port : cluster.master_ports()) {
    if (port != from) to = port;
  }
  cluster.cli("SET " + key + " here");
  cluster.begin_slot_migration(slot, to);
  cluster.move_slot_keys(slot, to);
  ASSERT_EQ(cluster.node_cli(from, "GET " + key).rfind("ASK", 0), 0u);  // half way
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), cluster.options(), "", hash_slot(key));
    command get{"GET", key};
    auto r = co_await conn->exec(std::move(get));
    EXPECT_EQ(r.as_string(), "here") << r.str;
    // A key of the slot that was never written is still the source's to create.
    command set{"SET", "{cc-ask}:new", "1"};
    auto created = co_await conn->exec(std::move(set));
    EXPECT_EQ(created.as_string(), "OK") << created.str;
    // A pipeline is asked whole, a transaction behind one ASKING.
    std::vector<command> pipeline;
    pipeline.push_back(command{"GET", key});
    pipeline.push_back(command{"STRLEN", key});
    auto both = co_await conn->exec(std::move(pipeline));
    DROVER_CO_ASSERT_TRUE(both.size() == 2u);
    EXPECT_EQ(both[0].as_string(), "here") << both[0].str;
    EXPECT_EQ(both[1].as_int(), 4) << both[1].str;
    std::vector<command> transaction;
    transaction.push_back(command{"MULTI"});
    transaction.push_back(command{"GET", key});
    transaction.push_back(command{"EXEC"});
    auto done = co_await conn->exec(std::move(transaction));
    DROVER_CO_ASSERT_TRUE(done.size() == 3u && done[2].is_array() && done[2].elements.size() == 1u);
    EXPECT_EQ(done[2].elements[0].as_string(), "here") << done[2].str;
    // A script the importing node has not loaded: NOSCRIPT there, then loaded there.
    const std::string body = "return redis.call('GET', KEYS[1])";
    const auto sha = cluster.node_cli(from, "SCRIPT LOAD \"" + body + "\"");
    command evalsha{"EVALSHA", sha, "1", key};
    auto missing = co_await conn->exec(std::move(evalsha));
    EXPECT_EQ(missing.str.rfind("NOSCRIPT", 0), 0u) << missing.str;
    std::vector<command> load_and_run;
    load_and_run.push_back(command{"SCRIPT", "LOAD", body});
    load_and_run.push_back(command{"EVALSHA", sha, "1", key});
    auto ran = co_await conn->exec(std::move(load_and_run));
    DROVER_CO_ASSERT_TRUE(ran.size() == 2u);
    EXPECT_EQ(ran[1].as_string(), "here") << ran[1].str;
    // Two different scripts are not asked together: the node could lack one, and the
    // calls would then run out of order. Sent again until the migration ends; here it
    // does not, so an outage.
    const std::string other_body = "return redis.call('STRLEN', KEYS[1])";
    const auto other_sha = cluster.node_cli(from, "SCRIPT LOAD \"" + other_body + "\"");
    std::exception_ptr not_asked;
    try {
      std::vector<command> two_scripts;
      two_scripts.push_back(command{"EVALSHA", sha, "1", key});
      two_scripts.push_back(command{"EVALSHA", other_sha, "1", key});
      co_await conn->exec(std::move(two_scripts));
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
      not_asked = std::current_exception();
    }
    EXPECT_TRUE(not_asked);
    EXPECT_EQ(cluster.node_cli(to, "SCRIPT EXISTS " + other_sha), "0");  // never sent there
    // A multi-key call with a key the importing node lacks cannot run on either node until
    // the migration ends (TRYAGAIN there): an outage, not a reply.
    std::exception_ptr outage;
    try {
      command both_keys{"MGET", key, "{cc-ask}:not-moved"};
      co_await conn->exec(std::move(both_keys));
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
      EXPECT_NE(std::string(e.what()).find("slot migration"), std::string::npos) << e.what();
      outage = std::current_exception();
    }
    EXPECT_TRUE(outage);
    conn->close();
  });
  cluster.finish_slot_migration(slot, to);
  // A client that does not know it speaks to a cluster (redis:// to one node) is told.
  redis_options one_node;
  one_node.port = from;  // no longer the key's master
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), one_node);
    command get{"GET", key};
    auto moved = co_await conn->exec(std::move(get));
    std::string why;
    try {
      expect_no_error(moved, "GET");
    } catch (const error& e) {
      why = e.what();
    }
    EXPECT_NE(why.find("GET: MOVED "), std::string::npos) << why;
    EXPECT_NE(why.find("redis+cluster://"), std::string::npos) << why;
    conn->close();
  });
}

TEST(cluster_connection, finds_the_promoted_replica_after_its_master_dies) {
  redis_cluster cluster;
  const std::string key = "{cc-failover}:k";
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), cluster.options(), "", hash_slot(key));
    // Written and confirmed by the replica (WAIT), so that the promoted replica has it:
    // replication is asynchronous, and a link that is up may still be behind.
    std::vector<command> write;
    write.push_back(command{"SET", key, "before"});
    write.push_back(command{"WAIT", "1", "5000"});
    auto written = co_await conn->exec(std::move(write));
    DROVER_CO_ASSERT_TRUE(written.size() == 2u);
    EXPECT_EQ(written[1].as_int(), 1) << written[1].str;
    command get{"GET", key};
    auto before = co_await conn->exec(std::move(get));
    EXPECT_EQ(before.as_string(), "before");
    std::atomic<bool> promoted{false};
    std::thread killer([&] {
      cluster.kill_master_for_key(key);
      cluster.wait_for_failover();
      promoted = true;
    });
    // Calls fail with an outage while no master serves the slot (or during the back-off
    // after), then reach the promoted replica: within seconds of the promotion.
    std::string value;
    std::chrono::steady_clock::time_point promoted_at{};
    while (value.empty() || !promoted) {
      if (promoted && promoted_at == std::chrono::steady_clock::time_point{}) {
        promoted_at = std::chrono::steady_clock::now();
      }
      if (promoted && std::chrono::steady_clock::now() - promoted_at > 10s) break;
      value.clear();
      try {
        command again{"GET", key};
        auto r = co_await conn->exec(std::move(again));
        if (!r.is_error()) value = r.as_string();
      } catch (const error& e) {
        EXPECT_TRUE(e.is(errc::redis_unavailable) || e.is(errc::redis_timeout)) << e.what();
      }
      co_await test::sleep_ms(50);
    }
    killer.join();
    EXPECT_EQ(value, "before");
    conn->close();
  });
}

// rediss+cluster://: the map, every node and the redirections over TLS, each node's
// certificate verified against the CA.
TEST(cluster_connection, speaks_tls_to_every_node_of_a_tls_cluster) {
  test::test_certificates certs;
  redis_cluster cluster(3, 0, &certs);
  auto opts = cluster.tls_options();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), opts);  // no slot: MOVED to each key's master
    for (int i = 0; i < 12; ++i) {
      const auto key = "cc-tls:" + std::to_string(i);
      command set{"SET", key, std::to_string(i)};
      auto r = co_await conn->exec(std::move(set));
      EXPECT_EQ(r.as_string(), "OK") << key << ": " << r.str;
    }
    conn->close();
  });
  for (int i = 0; i < 12; ++i) EXPECT_EQ(cluster.cli("GET cc-tls:" + std::to_string(i)), std::to_string(i));
  // Another CA: refused, saying why.
  opts.tls.ca_file = certs.other_ca_cert;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), opts);
    try {
      command ping{"PING"};
      co_await conn->exec(std::move(ping));
      ADD_FAILURE() << "a certificate of another CA was accepted";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
      EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
    }
    conn->close();
  });
}

TEST(cluster_connection, says_so_when_the_seed_is_not_a_cluster_node) {
  test::redis_server single;
  auto opts = single.options();
  opts.cluster.seeds = {redis_endpoint{"127.0.0.1", single.port()}};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), opts);
    try {
      command ping{"PING"};
      co_await conn->exec(std::move(ping));
      ADD_FAILURE() << "a plain server was taken for a cluster";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable));
      EXPECT_NE(std::string(e.what()).find("cluster support disabled"), std::string::npos) << e.what();
    }
    conn->close();
  });
}

}  // namespace
}  // namespace drover::redis
