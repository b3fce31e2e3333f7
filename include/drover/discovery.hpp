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
// Throws drover::error for a Redis failure.
boost::asio::awaitable<std::vector<std::string>> discover_queues(boost::asio::any_io_executor ex, redis_options redis,
                                                                 std::string prefix = "bull");

}  // namespace drover
