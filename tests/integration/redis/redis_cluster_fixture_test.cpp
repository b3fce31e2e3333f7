// redis_cluster_fixture_test.cpp - the tests' Redis Cluster itself (tests/support/
// redis_cluster.hpp): it forms, keys land on the master the map names, a killed master's
// replica takes over, a restarted node rejoins as a replica, a slot moves with its keys,
// and no redis-server outlives it.
#include "support/redis_cluster.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <memory>

namespace drover::test {
namespace {

// How many redis-server processes this test program has started and not reaped.
int redis_children() {
  int count = 0;
  const auto self = std::to_string(::getpid());
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  while (auto* entry = ::readdir(proc.get())) {
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string pid, comm, state, ppid;
    if (stat >> pid >> comm >> state >> ppid && ppid == self && comm == "(redis-server)") ++count;
  }
  return count;
}

TEST(redis_cluster_fixture, forms_with_three_masters_and_their_replicas) {
  auto& cluster = redis_cluster::shared();
  EXPECT_EQ(cluster.ports().size(), 6u);
  const auto masters = cluster.master_ports();
  ASSERT_EQ(masters.size(), 3u);
  for (auto port : cluster.ports()) {
    EXPECT_NE(cluster.node_cli(port, "CLUSTER INFO").find("cluster_state:ok"), std::string::npos) << port;
  }
  // One replica per master.
  std::multiset<std::string> masters_of_replicas;
  for (const auto& n : cluster.nodes()) {
    if (!n.master) masters_of_replicas.insert(n.master_id);
  }
  EXPECT_EQ(masters_of_replicas.size(), 3u);
  for (const auto& n : cluster.nodes()) {
    if (n.master) {
      EXPECT_EQ(masters_of_replicas.count(n.id), 1u) << n.port;
    }
  }
  const auto opts = cluster.options();
  ASSERT_EQ(opts.cluster.seeds.size(), 3u);
  EXPECT_EQ(opts.port, masters.front());
  EXPECT_EQ(cluster.url(),
            fmt::format("redis+cluster://127.0.0.1:{},127.0.0.1:{},127.0.0.1:{}", masters[0], masters[1], masters[2]));
  // What the URL says is what options() says.
  EXPECT_EQ(redis_options::from_url(cluster.url()).cluster.seeds, opts.cluster.seeds);
}

TEST(redis_cluster_fixture, keys_land_on_the_master_that_owns_their_slot) {
  auto& cluster = redis_cluster::shared();
  std::set<std::uint16_t> used;
  for (int i = 0; i < 12; ++i) {
    const auto key = fmt::format("fixture-key-{}", i);
    EXPECT_EQ(cluster.cli(fmt::format("SET {} v{}", key, i)), "OK");
    const auto port = cluster.master_port_for_key(key);
    used.insert(port);
    EXPECT_EQ(cluster.node_cli(port, "GET " + key), fmt::format("v{}", i)) << key;
  }
  EXPECT_EQ(used.size(), 3u) << "twelve keys should spread over all three masters";
  // A hash tag keeps a queue's keys on one master, as BullMQ needs.
  EXPECT_EQ(cluster.slot_of("bull:{fixture-q}:wait"), cluster.slot_of("bull:{fixture-q}:active"));
  EXPECT_EQ(cluster.master_port_for_key("{fixture-q}a"), cluster.master_port_for_key("{fixture-q}b"));
}

TEST(redis_cluster_fixture, a_replica_takes_over_a_killed_master_which_rejoins_as_a_replica) {
  redis_cluster cluster;
  const std::string key = "{fixture-failover}k";
  const auto old_master = cluster.master_port_for_key(key);
  // Acknowledged by the replica, so the value survives the failover. One connection:
  // WAIT on a connection of its own, which wrote nothing, answers at once (it let the
  // value be lost now and then on a loaded machine).
  EXPECT_EQ(cluster.node_session(old_master, {"SET '" + key + "' before", "WAIT 1 5000"}), "OK\n1");
  EXPECT_EQ(cluster.kill_master_for_key(key), old_master);
  EXPECT_FALSE(cluster.running(old_master));
  cluster.wait_for_failover();
  const auto new_master = cluster.master_port_for_key(key);
  EXPECT_NE(new_master, old_master);
  EXPECT_EQ(cluster.master_ports().size(), 3u);
  EXPECT_EQ(cluster.cli("GET '" + key + "'"), "before");
  EXPECT_EQ(cluster.node_cli(new_master, "ROLE").substr(0, 6), "master");

  cluster.restart(old_master);
  EXPECT_TRUE(cluster.running(old_master));
  EXPECT_EQ(cluster.node_cli(old_master, "ROLE").substr(0, 5), "slave");
  EXPECT_EQ(cluster.master_port_for_key(key), new_master);
}

TEST(redis_cluster_fixture, a_migrated_slot_takes_its_keys_to_the_new_master) {
  redis_cluster cluster;
  const std::string key = "{fixture-migrate}k";
  const std::string moved = "{fixture-migrate}moved";
  const auto slot = cluster.slot_of(key);
  const auto from = cluster.master_port_for_slot(slot);
  const auto to =
      from == cluster.master_ports().front() ? cluster.master_ports().back() : cluster.master_ports().front();
  EXPECT_EQ(cluster.cli("SET '" + key + "' v"), "OK");
  EXPECT_EQ(cluster.cli("SET '" + moved + "' m"), "OK");

  // Half way: the source answers ASK for a key already moved, and still serves the rest.
  cluster.begin_slot_migration(slot, to);
  EXPECT_EQ(cluster.node_cli(from, fmt::format("MIGRATE 127.0.0.1 {} '{}' 0 5000", to, moved)), "OK");
  EXPECT_EQ(cluster.node_cli(from, "GET '" + moved + "'"), fmt::format("ASK {} 127.0.0.1:{}", slot, to));
  EXPECT_EQ(cluster.node_cli(from, "GET '" + key + "'"), "v");
  EXPECT_EQ(cluster.cli("GET '" + moved + "'"), "m");

  cluster.move_slot_keys(slot, to);
  cluster.finish_slot_migration(slot, to);
  EXPECT_EQ(cluster.master_port_for_slot(slot), to);
  EXPECT_EQ(cluster.node_cli(to, "GET '" + key + "'"), "v");
  EXPECT_EQ(cluster.node_cli(from, "GET '" + key + "'"), fmt::format("MOVED {} 127.0.0.1:{}", slot, to));
  for (auto port : cluster.ports()) {
    EXPECT_EQ(parse_cluster_nodes(cluster.node_cli(port, "CLUSTER NODES")).size(), 6u);
  }

  // And back in one call.
  cluster.migrate_slot(slot, from);
  EXPECT_EQ(cluster.master_port_for_key(key), from);
  EXPECT_EQ(cluster.cli("GET '" + moved + "'"), "m");
}

TEST(redis_cluster_fixture, leaves_no_redis_server_running) {
  const auto before = redis_children();
  std::vector<std::uint16_t> ports;
  {
    redis_cluster cluster;
    ports = cluster.ports();
    EXPECT_EQ(redis_children(), before + 6);
  }
  EXPECT_EQ(redis_children(), before);
  // Two masters are too few for redis-cli --cluster create: the constructor throws and
  // kills what it started.
  try {
    redis_cluster too_small(2);
    ADD_FAILURE() << "a two-master cluster formed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--cluster create failed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(redis_children(), before);
}

}  // namespace
}  // namespace drover::test
