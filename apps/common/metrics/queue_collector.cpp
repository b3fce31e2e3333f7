// queue_collector.cpp - job counts per queue and state, each labelled with its logical
// queue, cached for a moment.
#include "drover_app/metrics/queue_collector.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <drover/shard_names.hpp>

namespace net = boost::asio;

namespace drover::app::metrics {

queue_collector::queue_collector(net::any_io_executor ex, registry& r, queue_options opts, lister list,
                                 bool bullmq_totals, queue_shards configured, std::chrono::milliseconds max_age)
    : ex_(ex),
      opts_(std::move(opts)),
      list_(std::move(list)),
      bullmq_totals_(bullmq_totals),
      configured_(configured),
      max_age_(max_age),
      jobs_(r.add_gauge("drover_queue_jobs", "Jobs in a queue, by state, read from Redis when scraped.",
                        {"queue", "logical_queue", "state"})),
      readable_(r.add_gauge("drover_queue_readable",
                            "1 when the queue's last read at a scrape answered, 0 when it did not (its counts are "
                            "then those of the last read that did).",
                            {"queue", "logical_queue"})) {
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
  // `sum by (logical_queue)` counts every job once. The apps' own queues go by their
  // configured shards: a shard whose master is away is not listed, and the others would
  // otherwise no longer make up a complete sharded queue.
  std::map<std::string, std::string> logical;
  for (const auto& sharded : group_shards(names).sharded) {
    for (const auto& shard : sharded.shards) logical[shard] = sharded.name;
  }
  for (const auto& name : names) {
    if (auto where = configured_.locate(name); where.shards > 0) logical[name] = where.logical;
  }
  // A shard's dead-letter queue ("<shard>-dlq") with its sharded queue's ("<logical>-dlq"),
  // so that the dead letters of one queue sum up as one (each was a queue of its own).
  constexpr std::string_view dlq_suffix = "-dlq";
  for (const auto& name : names) {
    if (!name.ends_with(dlq_suffix)) continue;
    const auto of = logical.find(name.substr(0, name.size() - dlq_suffix.size()));
    if (of != logical.end()) logical.emplace(name, of->second + std::string(dlq_suffix));
  }
  // A queue read before and not listed now is read too: its master may be away (the
  // listing reaches only the masters that answer), and then it says so; a queue that is
  // gone reads empty and its series go.
  std::map<std::string, bool> to_read;  // name -> listed now
  for (const auto& [name, of] : logical_of_) to_read[name] = false;
  // The apps' own sharded queues too, read or not before: after a restart during an outage
  // the shards on the master that is away had no series at all, and every series there was
  // said 1 (a cluster review). One that does not exist yet reads empty and gets none.
  for (const char* app_queue : {"ai-processing", "document-processing", "webhook-delivery"}) {
    if (configured_.of(app_queue) == 0) continue;
    for (const auto& shard : configured_.queues_of(app_queue)) {
      auto shard_name = shard.queue_name();
      logical.emplace(shard_name, shard.logical);
      to_read.emplace(std::move(shard_name), false);
    }
  }
  for (const auto& name : names) to_read[name] = true;
  // Every queue at once: one master that does not answer costs a scrape one read's
  // timeout, not one per queue (ten queues took a scrape past Prometheus's 10 s).
  std::vector<decltype(net::co_spawn(ex_, read({}, {}, false), net::deferred))> reads;
  for (const auto& [name, listed] : to_read) {
    const auto it = logical.find(name);
    const auto seen = logical_of_.find(name);
    std::string logical_name = it != logical.end()                   ? it->second
                               : listed || seen == logical_of_.end() ? name
                                                                     : seen->second;
    reads.push_back(net::co_spawn(ex_, read(name, std::move(logical_name), listed), net::deferred));
  }
  if (!reads.empty()) {
    auto group = net::experimental::make_parallel_group(std::move(reads));
    auto all_read = group.async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    co_await std::move(all_read);  // read() catches its own failures
  }
  refreshing_ = false;
}

net::awaitable<void> queue_collector::read(std::string name, std::string logical_name, bool listed) {
  try {
    auto& q = queue_for(name);
    std::vector<std::string> every_state;  // BullMQ's default list
    auto get = q.get_job_counts(std::move(every_state));
    auto counts = co_await std::move(get);
    const bool empty = std::all_of(counts.begin(), counts.end(), [](const auto& c) { return c.second == 0; });
    if (!listed && empty) {  // gone (obliterated, or never held a job): its series go too
      if (auto seen = logical_of_.find(name); seen != logical_of_.end()) {
        forget_series(name, seen->second, counts);
        logical_of_.erase(seen);
      }
      co_return;
    }
    // A queue whose logical queue changed (its shards became complete, or stopped being)
    // drops its series under the old one, which would otherwise be counted as well.
    if (auto seen = logical_of_.find(name); seen != logical_of_.end() && seen->second != logical_name) {
      forget_series(name, seen->second, counts);
    }
    logical_of_[name] = logical_name;
    for (const auto& [state, n] : counts) jobs_.with({name, logical_name, state}).set(static_cast<double>(n));
    if (bullmq_totals_) {
      std::string completed_kind = "completed", failed_kind = "failed";
      auto get_done = q.get_metrics(std::move(completed_kind), 0, 0);
      auto done = co_await std::move(get_done);
      auto get_failed = q.get_metrics(std::move(failed_kind), 0, 0);
      auto failed = co_await std::move(get_failed);
      completed_->with({name, logical_name}).set_total(static_cast<double>(done.count));
      failed_->with({name, logical_name}).set_total(static_cast<double>(failed.count));
    }
    readable_.with({name, logical_name}).set(1);
  } catch (const std::exception& e) {
    spdlog::debug("metrics: cannot read queue {}: {}", name, e.what());
    // Under the logical queue its series already carry, if it has any.
    const auto seen = logical_of_.find(name);
    readable_.with({name, seen != logical_of_.end() ? seen->second : logical_name}).set(0);
  }
}

void queue_collector::forget_series(const std::string& name, const std::string& logical,
                                    const std::map<std::string, std::int64_t>& states) {
  for (const auto& [state, n] : states) jobs_.remove({name, logical, state});
  readable_.remove({name, logical});
  if (bullmq_totals_) {
    completed_->remove({name, logical});
    failed_->remove({name, logical});
  }
}

}  // namespace drover::app::metrics
