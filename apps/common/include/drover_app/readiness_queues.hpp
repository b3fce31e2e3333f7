// readiness_queues.hpp - what /readyz reads of Redis: one round trip to each queue an app
// works with, on connections of their own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <drover/queue.hpp>

#include "drover_app/app_queue.hpp"

namespace drover::app {

// Each queue's keys, not one queue's only: an ACL that grants some queues' keys and not
// the others' (or a shard on another master) left an app ready that refused every upload
// (an ACL review). On connections of their own: on the sends' connection a probe waits
// behind their replication WAITs and times out while Redis is fine.
// Thread safety: one executor (the app's).
class readiness_queues {
 public:
  // `queues`: each queue's name and its shard count (0: not sharded).
  readiness_queues(boost::asio::any_io_executor ex, const std::vector<std::pair<std::string, std::size_t>>& queues,
                   const queue_options& opts);

  // One read of every queue (every shard); throws the first failure, naming nothing more
  // than drover::error does.
  boost::asio::awaitable<void> probe();
  void close();

 private:
  std::vector<std::unique_ptr<app_queue>> queues_;
};

}  // namespace drover::app
