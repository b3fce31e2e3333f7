// job_metrics.hpp - the Workers app's job series: processing and wait times (measured
// by wrapping each processor), and its workers' slots and totals.
#pragma once

#include <chrono>
#include <utility>
#include <vector>

#include <drover/worker.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/metrics/registry.hpp>

namespace drover::workers {

// Series (labels queue and logical_queue; the processing histogram also outcome =
// completed | failed):
//   drover_job_processing_seconds        histogram  one processor call (one attempt)
//   drover_job_wait_seconds              histogram  from when a job could run (its timestamp
//                                                   plus its delay) to when a worker took it
//   drover_worker_busy_slots             gauge      jobs running now in this process
//   drover_worker_concurrency            gauge      jobs this process may run at once
//   drover_worker_utilization            gauge      busy slots over concurrency, 0 to 1
//   drover_worker_jobs_completed_total   counter    jobs this process completed
//   drover_worker_jobs_failed_total      counter    jobs this process failed for good
// `queue` is the BullMQ queue the worker takes jobs from, a shard's own name for a shard;
// `logical_queue` the sharded queue it belongs to, a plain queue's own name: as the queue
// series (drover_queue_jobs), so that `sum by (logical_queue)` counts each job once.
// Thread safety: any thread (blocking processors run on the worker's pool).
class job_metrics {
 public:
  explicit job_metrics(app::metrics::registry& r);

  // `p`, the processor of the queue `where`, timed: each call observes its processing
  // time, and its wait time once.
  processor timed(processor p, const app::queue_shard& where);
  // Reads the workers' slots and totals, each the worker of its queue; called when
  // /metrics is scraped.
  void sample(const std::vector<std::pair<app::queue_shard, const worker*>>& workers);

 private:
  using labels = app::metrics::label_values;
  void observe_start(const job& j, const labels& queue);
  void observe_end(const labels& queue, std::chrono::steady_clock::time_point started, bool ok);

  app::metrics::family<app::metrics::histogram>& processing_;
  app::metrics::family<app::metrics::histogram>& wait_;
  app::metrics::family<app::metrics::gauge>& busy_;
  app::metrics::family<app::metrics::gauge>& concurrency_;
  app::metrics::family<app::metrics::gauge>& utilization_;
  app::metrics::family<app::metrics::counter>& completed_;
  app::metrics::family<app::metrics::counter>& failed_;
};

}  // namespace drover::workers
