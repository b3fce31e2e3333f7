// redis_cluster.hpp - a Redis Cluster of real redis-servers for one test: masters, their
// replicas, free ports, killed and removed at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <drover/redis_options.hpp>

#include "support/tls_redis_server.hpp"

#include "support/cluster_nodes.hpp"

namespace drover::test {

// Starts `masters` + `masters` * `replicas_per_master` redis-servers (Debian's, from PATH)
// with cluster mode on, on distinct free loopback ports (client and cluster bus), and
// joins them with `redis-cli --cluster create`. The constructor returns once every node
// says cluster_state:ok, every node sees the same masters, slots and replicas, and every
// replica is in sync with its master, so that a failover can happen at once. Failure
// detection is quick (node timeout below) and a replica may always be promoted, however
// long it has been cut off. Processes are killed when the constructor throws and in the
// destructor.
//
// Not thread-safe: one test thread drives it. Every call that talks to a node runs
// redis-cli, so it costs a process start; fine for setup and checks, not for load.
class redis_cluster {
 public:
  static constexpr int node_timeout_ms = 1500;

  // With `tls`, every node also serves TLS with its server certificate, the cluster bus
  // and replication included, and tls_options() reaches it over TLS; the plain ports
  // stay for the fixture's own redis-cli.
  explicit redis_cluster(int masters = 3, int replicas_per_master = 1, const test_certificates* tls = nullptr);
  ~redis_cluster();
  redis_cluster(const redis_cluster&) = delete;
  redis_cluster& operator=(const redis_cluster&) = delete;

  // Seeds are the live masters now; host and port are the first of them.
  redis_options options() const;
  // The live masters' TLS ports as seeds, over TLS verified against the test CA (a
  // cluster made with certificates only).
  redis_options tls_options() const;
  // redis+cluster://127.0.0.1:p,127.0.0.1:q,... for the live masters now.
  std::string url() const;

  // One command through `redis-cli -c` against a live master: redirects are followed,
  // so any key may be named. The reply as text.
  std::string cli(const std::string& args) const;
  // One command to the node on `port` alone (no redirects): MOVED comes back as text.
  std::string node_cli(std::uint16_t port, const std::string& args) const;
  // Several commands to the node on `port` over one connection, as redis-cli reads them
  // from its input (quoted as at its prompt); the replies, one per line. For WAIT, which
  // counts only the writes of its own connection.
  std::string node_session(std::uint16_t port, const std::vector<std::string>& commands) const;

  // Every node's port, killed ones too, in start order.
  std::vector<std::uint16_t> ports() const;
  // The ports of the masters that own slots now, as a live node sees it, ascending.
  std::vector<std::uint16_t> master_ports() const;
  // CLUSTER NODES of a live node, parsed.
  std::vector<cluster_node> nodes() const;
  int slot_of(const std::string& key) const;  // CLUSTER KEYSLOT
  std::uint16_t master_port_for_slot(int slot) const;
  std::uint16_t master_port_for_key(const std::string& key) const;
  bool running(std::uint16_t port) const;

  // SIGKILL to the node on `port` (a crash); its replica is promoted once the other
  // masters agree it is down (wait_for_failover).
  void kill(std::uint16_t port);
  // Kills the master that owns `key`'s slot; its port.
  std::uint16_t kill_master_for_key(const std::string& key);
  // Waits until no slot belongs to a killed node (a replica has taken them over) and the
  // cluster is stable (wait_until_stable); throws, saying what the nodes see, after `timeout`.
  void wait_for_failover(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // Starts a killed node again on its port, with its node id; it finds its slots taken
  // and rejoins as a replica of the node that took them. Returns once stable.
  void restart(std::uint16_t port);

  // Moves `slot` (with its keys) from its master to the master on `to_port`, the way
  // redis-cli --cluster reshard does: IMPORTING on the target, MIGRATING on the source,
  // MIGRATE of every key, SETSLOT NODE everywhere. The steps are public too, so that a
  // test can stop half way, where the source answers ASK for keys already moved.
  void migrate_slot(int slot, std::uint16_t to_port);
  void begin_slot_migration(int slot, std::uint16_t to_port);
  void move_slot_keys(int slot, std::uint16_t to_port);  // every key still on the source
  void finish_slot_migration(int slot, std::uint16_t to_port);

  // Waits until every live node says cluster_state:ok, all see the same masters, slots and
  // replicas among the live nodes (none flagged failing), no slot belongs to a killed node
  // and every live replica's link to its master is up; throws with what the nodes see
  // after `timeout`.
  void wait_until_stable(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // Lets the servers outlive this object and this program, their directory too: for the
  // cluster that ctest starts once for a whole run (tests/support/suite_cluster_main.cpp),
  // which a later process stops by these pids. Every other call is invalid afterwards.
  std::vector<pid_t> release();
  const std::string& dir() const { return dir_; }

  // The cluster shared by the tests of this program, started on first use. Tests that
  // kill nodes or move slots should start their own.
  static redis_cluster& shared();

 private:
  struct node {
    std::uint16_t port = 0;
    std::uint16_t bus_port = 0;
    std::uint16_t tls_port = 0;  // with certificates only
    pid_t pid = -1;
  };
  // A new node on ports found free, started; tried again on other ports when one was
  // taken meanwhile.
  node start_on_free_ports();
  void start(node& n);
  void create();
  void kill_all();
  std::uint16_t live_port() const;
  std::string node_id(std::uint16_t port) const;
  // Why the cluster is not stable yet ("" when it is).
  std::string unstable_because() const;

  std::string dir_;
  std::vector<node> nodes_;
  int replicas_per_master_;
  const test_certificates* tls_;
};

}  // namespace drover::test
