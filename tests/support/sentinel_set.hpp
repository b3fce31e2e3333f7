// sentinel_set.hpp - a master, its replica and three Sentinels watching them, for one test.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <drover/redis_options.hpp>

#include "support/redis_server.hpp"
#include "support/replica_pair.hpp"

namespace drover::test {

// Starts a redis-server master, a replica of it, and three redis-sentinel processes
// (quorum 2, down after 1 s) on free loopback ports; waits until the replica is in sync
// and the sentinels know it and each other, so that a failover can happen at once. With a
// `sentinel_password`, the sentinels require it (requirepass) and use it among
// themselves. Everything is killed and removed at the end.
class sentinel_set {
 public:
  static constexpr const char* master_name = "drover-test";

  explicit sentinel_set(std::string sentinel_password = {});
  ~sentinel_set();
  sentinel_set(const sentinel_set&) = delete;
  sentinel_set& operator=(const sentinel_set&) = delete;

  redis_server& master() { return servers_->master(); }
  redis_server& replica() { return servers_->replica(); }
  // The sentinels and the master's name; the sentinel password when there is one.
  redis_options options() const;
  // The master's port as the first sentinel sees it now.
  std::uint16_t master_port_now() const;
  // One command to the first sentinel (redis-cli), the reply as text.
  std::string sentinel_cli(const std::string& args) const;

 private:
  // One more sentinel on a free port, answering; tried again on another port when the
  // port was taken meanwhile.
  void start_sentinel();
  void wait_until_watching() const;
  void kill_sentinels();
  std::string password_;
  std::string dir_;
  std::unique_ptr<replica_pair> servers_;
  std::vector<std::uint16_t> ports_;
  std::vector<pid_t> pids_;
};

}  // namespace drover::test
