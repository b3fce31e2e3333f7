// replica_pair.hpp - a redis-server master and one replica of it, in sync, for one test.
#pragma once

#include <memory>

#include "support/redis_server.hpp"

namespace drover::test {

// Starts a master and a replica (--replicaof) on free loopback ports and waits until the
// replica's link is up (its first sync done), so that a WAIT can be answered at once.
// freeze() the replica to have a replica that never acknowledges.
class replica_pair {
 public:
  replica_pair();

  redis_server& master() { return *master_; }
  redis_server& replica() { return *replica_; }

 private:
  std::unique_ptr<redis_server> master_, replica_;
};

// Waits up to 30 s until `replica` reports its link to the master up; throws otherwise.
void wait_until_in_sync(const redis_server& replica);

}  // namespace drover::test
