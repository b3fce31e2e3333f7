// queue_collector.hpp - the queues' job counts as metrics, read from Redis when scraped.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <drover/queue.hpp>

#include "drover_app/metrics/registry.hpp"
#include "drover_app/queue_shards.hpp"

namespace drover::app::metrics {

// Series:
//   drover_queue_jobs{queue,logical_queue,state}  gauge  jobs per state (waiting, active,
//                              delayed, prioritized, waiting-children, completed, failed)
// and, with `bullmq_totals`, from BullMQ's metrics keys (kept by the workers, whichever
// language they are written in):
//   drover_queue_jobs_completed_total{queue,logical_queue},
//   drover_queue_jobs_failed_total{queue,logical_queue}
//   drover_queue_readable{queue,logical_queue}  gauge  1 when the queue's last read
//                              answered, 0 when it did not (its other series then hold
//                              the values of the last read that did)
// `logical_queue` is the sharded queue a shard belongs to: the apps' own queues as their
// shard counts say (queue_shards), any other by group_shards over the listed names; and
// a plain queue's own name. `sum by (logical_queue)` counts every job once, and a shard
// keeps its logical queue while another shard's master is away. No series sums the
// shards itself, which would count their jobs twice in such a sum.
// A refresh reads Redis at most once per `max_age`, every queue at once (a scrape waits
// about as long as the slowest read, which fast_fail options bound); scrapes in between
// see the last values. A queue that can no longer be read keeps its last values until it
// reads again, and says so in drover_queue_readable.
// Thread safety: one executor (the app's).
class queue_collector {
 public:
  // The queue names to report, asked at each refresh.
  using lister = std::function<boost::asio::awaitable<std::vector<std::string>>()>;

  queue_collector(boost::asio::any_io_executor ex, registry& r, queue_options opts, lister list, bool bullmq_totals,
                  queue_shards configured = {}, std::chrono::milliseconds max_age = std::chrono::seconds(2));
  ~queue_collector();

  boost::asio::awaitable<void> refresh();
  void close();

 private:
  queue& queue_for(const std::string& name);
  // `listed`: the listing named it now (else it was read before and may be gone).
  boost::asio::awaitable<void> read(std::string name, std::string logical_name, bool listed);
  // Removes the queue's series carrying `logical`, one per state of `states`.
  void forget_series(const std::string& name, const std::string& logical,
                     const std::map<std::string, std::int64_t>& states);

  boost::asio::any_io_executor ex_;
  queue_options opts_;
  lister list_;
  bool bullmq_totals_;
  queue_shards configured_;
  std::chrono::milliseconds max_age_;
  family<gauge>& jobs_;
  family<gauge>& readable_;
  family<counter>* completed_ = nullptr;
  family<counter>* failed_ = nullptr;
  std::map<std::string, std::unique_ptr<queue>> queues_;
  std::map<std::string, std::string> logical_of_;  // queue -> the logical_queue its series carry
  std::chrono::steady_clock::time_point last_{};
  bool refreshing_ = false;
};

}  // namespace drover::app::metrics
