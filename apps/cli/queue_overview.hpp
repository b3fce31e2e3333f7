// queue_overview.hpp - every queue under a prefix at a glance (`drover queue list`,
// `drover top`): counts per state, paused, workers, and jobs per minute.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <drover/queue.hpp>

#include "common_options.hpp"

namespace drover::cli {

struct queue_overview {
  std::string name;
  std::map<std::string, std::int64_t> counts;  // BullMQ's states, "waiting" included
  bool paused = false;
  std::size_t workers = 0;       // connections named as a worker of this queue (Node or drover)
  std::int64_t busy = 0;         // running jobs, over the drover workers' heartbeats
  std::int64_t concurrency = 0;  // their slots; 0 when no drover worker reports
  // Jobs in the newest minute of BullMQ's metrics; std::nullopt when the workers keep no
  // metrics (drover worker --metrics N, or BullMQ's metrics option).
  std::optional<std::int64_t> completed_per_minute, failed_per_minute;
  // A sharded queue (drover/shard_names.hpp) is a row of its own, the sums of its shards,
  // which follow it: `shards` names them on the logical row, `shard_of` the logical queue
  // on each shard's row.
  std::vector<std::string> shards;
  std::string shard_of;

  std::int64_t count(const std::string& state) const;
  // {name, paused, counts, workers, busy, concurrency, completedPerMinute, failedPerMinute}
  // (the per-minute fields null without metrics), and "shards" on a sharded queue's row,
  // "shardOf" on its shards'.
  boost::json::object to_json() const;
};

// Reads the overviews of every queue under a prefix. It keeps one queue object (one
// connection) per queue between reads, so `drover top` does not reconnect every second.
// Not thread-safe; use it from one coroutine at a time.
class overview_reader {
 public:
  overview_reader(boost::asio::any_io_executor ex, common_options c);
  ~overview_reader();

  // Discovers the queues again, then reads each; sorted by name. Throws drover::error
  // when Redis fails.
  boost::asio::awaitable<std::vector<queue_overview>> read();
  void close();

 private:
  boost::asio::any_io_executor ex_;
  common_options common_;
  std::map<std::string, std::unique_ptr<queue>> queues_;
};

// One row per queue: QUEUE, STATUS, WAITING (waiting and paused), PRIORITIZED, DELAYED,
// ACTIVE, COMPLETED, FAILED, WORKERS, BUSY (busy/slots), DONE/MIN, FAILED/MIN.
// `rates` (per queue name: completed and failed per minute) fill the last two columns
// where the metrics are missing, as `drover top` measures them from count deltas.
struct measured_rate {
  double completed = 0, failed = 0;
};
void print_overview_table(std::ostream& out, const std::vector<queue_overview>& queues,
                          const std::map<std::string, measured_rate>& rates = {});

}  // namespace drover::cli
