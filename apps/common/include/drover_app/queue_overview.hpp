// queue_overview.hpp - one queue at a glance, and a sharded queue as one logical row
// followed by its shards': what `drover queue list`, `drover top` and the dashboard show.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <drover/queue.hpp>

namespace drover::app {

// The jobs of the last whole minute before `now_ms` from BullMQ's metrics, which record a
// minute only when a job finishes in a later one: their newest point is the minute before
// the last counted job's (prev_ts), the jobs since then are `count - prev_count`, and a
// queue whose workers stopped counted none since (an idle queue showed its last busy
// minute as its rate for as long as it stayed idle).
std::int64_t last_whole_minute(const queue_metrics& m, std::int64_t now_ms);

struct queue_overview {
  std::string name;
  std::map<std::string, std::int64_t> counts;  // BullMQ's states, "waiting" included
  bool paused = false;
  // Connections named as a worker of this queue (Node or drover); std::nullopt when
  // Redis's ACL refuses drover's user CLIENT LIST, which only this needs (the rest of
  // the overview is read as ever: one missing permission took the whole overview down).
  std::optional<std::size_t> workers = 0;
  std::int64_t busy = 0;         // running jobs, over the drover workers' heartbeats
  std::int64_t concurrency = 0;  // their slots; 0 when no drover worker reports
  // Jobs in the newest minute of BullMQ's metrics; std::nullopt when the workers keep no
  // metrics (drover worker --metrics N, or BullMQ's metrics option).
  std::optional<std::int64_t> completed_per_minute, failed_per_minute;
  // A sharded queue (drover/shard_names.hpp) is a row of its own, the sums of its shards,
  // which follow it: `shards` names them on the logical row, `shard_of` the logical queue
  // on each shard's row. The logical row is no queue of its own: its name may also be a
  // plain queue's (one used before the queue was sharded), whose row stays apart.
  std::vector<std::string> shards;
  std::string shard_of;

  std::int64_t count(const std::string& state) const;
  // What tells rows apart: the name, and for a logical row "<name> (N shards)", since a
  // plain queue may have the logical queue's name.
  std::string key() const;
  // {name, paused, counts, workers, busy, concurrency, completedPerMinute, failedPerMinute}
  // (the per-minute fields null without metrics, workers null when unknown), and "shards" on a sharded queue's row,
  // "shardOf" on its shards'.
  boost::json::object to_json() const;
};

// The connections named as a worker of `q` (CLIENT LIST), or std::nullopt when Redis's ACL
// refuses drover's user the command: the rest of what a view shows needs no CLIENT LIST,
// and one missing permission must not take it all down. Throws drover::error otherwise.
boost::asio::awaitable<std::optional<std::vector<worker_client>>> listed_workers(queue& q);

// Reads one queue's overview: its counts, paused, workers, the drover workers' heartbeats
// and the newest minute of its metrics. Throws drover::error when Redis fails.
boost::asio::awaitable<queue_overview> read_queue_overview(queue& q);

// The rows (one per discovered queue) with the shards of each sharded queue grouped:
// plain queues as they are, each sharded queue as a logical row summing its shards'
// counts, workers and rates (paused when every shard is), followed by its shards' rows;
// sorted by name, a plain queue before a logical one of the same name.
std::vector<queue_overview> group_sharded_rows(std::vector<queue_overview> rows);

}  // namespace drover::app
