// queue_collector.cpp - job counts per queue and state, each labelled with its logical
// queue, cached for a moment.
#include "drover_app/metrics/queue_collector.hpp"

#include <spdlog/spdlog.h>

#include <drover/shard_names.hpp>

namespace net = boost::asio;

namespace drover::app::metrics {

queue_collector::queue_collector(net::any_io_executor ex, registry& r, queue_options opts, lister list,
                                 bool bullmq_totals, std::chrono::milliseconds max_age)
    : ex_(ex),
      opts_(std::move(opts)),
      list_(std::move(list)),
      bullmq_totals_(bullmq_totals),
      max_age_(max_age),
      jobs_(r.add_gauge("drover_queue_jobs", "Jobs in a queue, by state, read from Redis when scraped.",
                        {"queue", "logical_queue", "state"})) {
  if (bullmq_totals_) {
    completed_ = &r.add_counter("drover_queue_jobs_completed_total",
                                "Jobs completed in a queue by any worker, from BullMQ's metrics keys.",
                                {"queue", "logical_queue"});
    failed_ =
        &r.add_counter("drover_queue_jobs_failed_total",
                       "Jobs failed in a queue by any worker, from BullMQ's metrics keys.", {"queue", "logical_queue"});
  }
}

queue_collector::~queue_collector() { close(); }

void queue_collector::close() {
  for (auto& [name, q] : queues_) q->close();
}

queue& queue_collector::queue_for(const std::string& name) {
  auto& slot = queues_[name];
  if (!slot) slot = std::make_unique<queue>(ex_, name, opts_);
  return *slot;
}

net::awaitable<void> queue_collector::refresh() {
  const auto now = std::chrono::steady_clock::now();
  if (refreshing_ || now - last_ < max_age_) co_return;
  refreshing_ = true;
  last_ = now;
  std::vector<std::string> names;
  try {
    names = co_await list_();
  } catch (const std::exception& e) {
    spdlog::debug("metrics: cannot list the queues: {}", e.what());
  }
  // Each shard's series names its logical queue, a plain queue's its own name, so that
  // `sum by (logical_queue)` counts every job once.
  std::map<std::string, std::string> logical;
  for (const auto& sharded : group_shards(names).sharded) {
    for (const auto& shard : sharded.shards) logical[shard] = sharded.name;
  }
  for (const auto& name : names) {
    const auto it = logical.find(name);
    const std::string& logical_name = it == logical.end() ? name : it->second;
    try {
      auto& q = queue_for(name);
      std::vector<std::string> every_state;  // BullMQ's default list
      auto counts = co_await q.get_job_counts(std::move(every_state));
      // A queue whose logical queue changed (its shards became complete, or stopped being)
      // drops its series under the old one, which would otherwise be counted as well.
      if (auto seen = logical_of_.find(name); seen != logical_of_.end() && seen->second != logical_name) {
        for (const auto& [state, n] : counts) jobs_.remove({name, seen->second, state});
        if (bullmq_totals_) {
          completed_->remove({name, seen->second});
          failed_->remove({name, seen->second});
        }
      }
      logical_of_[name] = logical_name;
      for (const auto& [state, n] : counts) jobs_.with({name, logical_name, state}).set(static_cast<double>(n));
      if (bullmq_totals_) {
        std::string completed_kind = "completed", failed_kind = "failed";
        auto done = co_await q.get_metrics(std::move(completed_kind), 0, 0);
        auto failed = co_await q.get_metrics(std::move(failed_kind), 0, 0);
        completed_->with({name, logical_name}).set_total(static_cast<double>(done.count));
        failed_->with({name, logical_name}).set_total(static_cast<double>(failed.count));
      }
    } catch (const std::exception& e) {
      spdlog::debug("metrics: cannot read queue {}: {}", name, e.what());
    }
  }
  refreshing_ = false;
}

}  // namespace drover::app::metrics
