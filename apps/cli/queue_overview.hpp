// queue_overview.hpp - every queue under a prefix at a glance (`drover queue list`,
// `drover top`): counts per state, paused, workers, and jobs per minute, sharded queues
// grouped under their logical queue.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <drover/queue.hpp>
#include <drover_app/queue_discovery.hpp>
#include <drover_app/queue_overview.hpp>

#include "common_options.hpp"

namespace drover::cli {

// The row type is the apps' own (drover_app/queue_overview.hpp), shared with the dashboard.
using app::queue_overview;

// Reads the overviews of every queue under a prefix. It keeps one queue object (one
// connection) per queue between reads, so `drover top` does not reconnect every second.
// Not thread-safe; use it from one coroutine at a time.
class overview_reader {
 public:
  overview_reader(boost::asio::any_io_executor ex, common_options c);
  ~overview_reader();

  // Discovers the queues again (app::queue_discovery: on a large keyspace, at most every
  // ten times a scan's duration), then reads each; sorted by name. Throws drover::error
  // when Redis fails.
  boost::asio::awaitable<std::vector<queue_overview>> read();
  void close();

 private:
  boost::asio::any_io_executor ex_;
  common_options common_;
  app::queue_discovery discovery_;
  std::map<std::string, std::unique_ptr<queue>> queues_;
};

// One row per queue: QUEUE, STATUS, WAITING (waiting and paused), PRIORITIZED, DELAYED,
// ACTIVE, COMPLETED, FAILED, WORKERS, BUSY (busy/slots), DONE/MIN, FAILED/MIN.
// `rates` (per row, by queue_overview::key(): completed and failed per minute) fill the
// last two columns where the metrics are missing, as `drover top` measures them from
// count deltas.
struct measured_rate {
  double completed = 0, failed = 0;
};
void print_overview_table(std::ostream& out, const std::vector<queue_overview>& queues,
                          const std::map<std::string, measured_rate>& rates = {});

}  // namespace drover::cli
