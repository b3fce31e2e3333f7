// suite_cluster.hpp - the Redis Cluster that ctest starts once per run for the cluster run
// of the engine's integration suite, and the Redis a test of that suite should use: this
// cluster when DROVER_TEST_CLUSTER names its state file, else the shared redis-server.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <drover/redis_options.hpp>

namespace drover::test {

// What the program that started the cluster (suite_cluster_main.cpp) leaves for the tests
// and for the one that stops it, in a file of "url ...", "dir ..." and "pid ..." lines.
struct suite_cluster_state {
  std::string url;  // redis+cluster://127.0.0.1:p,... (the masters)
  std::string dir;  // the nodes' directory, removed with them
  std::vector<pid_t> pids;
};
void write_suite_cluster_state(const std::string& path, const suite_cluster_state& state);
// Throws std::runtime_error naming the file when it cannot be read.
suite_cluster_state read_suite_cluster_state(const std::string& path);

// The cluster as a test sees it. Its slots never move during a run: nothing kills or
// reshards its nodes (tests that do start a redis_cluster of their own).
class suite_cluster {
 public:
  // The cluster DROVER_TEST_CLUSTER names, read on first use; nullptr when the variable is
  // unset (the suite runs against one redis-server). Throws when the file cannot be read.
  static const suite_cluster* current();

  redis_options options() const;
  // One command through `redis-cli -c`, sent to the master that owns `key`'s slot, so that
  // keyless commands (KEYS bull:{q}:*) see that master's keys; the reply as text.
  std::string cli(const std::string& key, const std::string& args) const;

 private:
  explicit suite_cluster(const suite_cluster_state& state);
  std::uint16_t master_for(const std::string& key) const;

  std::string url_;
  // Each master's port and the slot ranges it owns.
  std::vector<std::pair<std::uint16_t, std::vector<std::pair<int, int>>>> masters_;
};

// The suite's Redis, whichever it is: the cluster's seeds or the shared redis-server's.
redis_options suite_redis_options();
// A fresh queue name (unique_queue); on the cluster, in braces, a hash tag that keeps the
// queue's keys, and those of queues named after it ("{q}-children"), in one slot.
std::string suite_queue_name(const std::string& label);
// One command to the suite's Redis; on the cluster, to the master of `key`'s slot.
std::string suite_cli(const std::string& key, const std::string& args);

}  // namespace drover::test

// Skips the rest of the test on the cluster run, saying why: for a test that needs a
// redis-server of its own, the whole keyspace or a server-wide setting.
#define DROVER_SKIP_ON_CLUSTER(why)                \
  if (!::drover::test::suite_cluster::current()) { \
  } else                                           \
    GTEST_SKIP() << "not on a Redis Cluster: " << (why)
