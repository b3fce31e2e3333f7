// discovery.hpp - finding the queues that live under a key prefix.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "drover/redis_options.hpp"

namespace drover {

// The names of the queues under `prefix`, sorted: every queue that has had a job
// added or has been paused (BullMQ writes its "meta" hash then), whoever wrote it.
// Scans the keyspace with SCAN, so it does not block Redis on a large database.
// On a Redis Cluster it asks every master (SCAN sees one node's keys); a master that does
// not answer leaves its queues out, with a warning in the log. Throws drover::error when
// Redis (on a cluster: every master) does not answer.
boost::asio::awaitable<std::vector<std::string>> discover_queues(boost::asio::any_io_executor ex, redis_options redis,
                                                                 std::string prefix = "bull");

}  // namespace drover
