// replica_pair.hpp - a redis-server master and one replica of it, in sync, for one test.
#pragma once

#include <memory>

#include "support/redis_server.hpp"

namespace drover::test {

// Starts a master and a replica (--replicaof) on free loopback ports and waits until the
// master has the replica online (its first sync done and acknowledged), so that a WAIT
// can be answered at once.
// freeze() the replica to have a replica that never acknowledges.
class replica_pair {
 public:
  replica_pair();

  redis_server& master() { return *master_; }
  redis_server& replica() { return *replica_; }

 private:
  std::unique_ptr<redis_server> master_, replica_;
};

// Waits up to 30 s until `master` reports a replica online; throws otherwise.
void wait_until_in_sync(const redis_server& master);

}  // namespace drover::test
