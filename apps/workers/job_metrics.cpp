// job_metrics.cpp - timing processors and sampling the workers for /metrics.
#include "workers/job_metrics.hpp"

#include <chrono>
#include <exception>
#include <memory>

namespace net = boost::asio;
namespace json = boost::json;
namespace m = drover::app::metrics;

namespace drover::workers {

namespace {

const std::vector<std::string> queue_labels{"queue", "logical_queue"};

m::label_values labels_of(const app::queue_shard& where) { return {where.queue_name(), where.logical}; }

m::label_values with_outcome(m::label_values queue, bool ok) {
  queue.emplace_back(ok ? "completed" : "failed");
  return queue;
}

}  // namespace

job_metrics::job_metrics(m::registry& r)
    : processing_(r.add_histogram("drover_job_processing_seconds",
                                  "Time one attempt of a job took in its processor, by queue and outcome.",
                                  {"queue", "logical_queue", "outcome"}, m::duration_buckets())),
      wait_(
          r.add_histogram("drover_job_wait_seconds",
                          "Time a job waited from when it could run (created, plus its delay) until a worker took it.",
                          queue_labels, m::duration_buckets())),
      busy_(r.add_gauge("drover_worker_busy_slots", "Jobs running now in this process, by queue.", queue_labels)),
      concurrency_(
          r.add_gauge("drover_worker_concurrency", "Jobs this process may run at once, by queue.", queue_labels)),
      utilization_(
          r.add_gauge("drover_worker_utilization", "Busy slots over concurrency (0 to 1), by queue.", queue_labels)),
      completed_(
          r.add_counter("drover_worker_jobs_completed_total", "Jobs this process completed, by queue.", queue_labels)),
      failed_(r.add_counter("drover_worker_jobs_failed_total",
                            "Jobs this process failed for good (retried attempts not counted), by queue.",
                            queue_labels)) {}

void job_metrics::observe_start(const job& j, const labels& queue) {
  // The first attempt only: a retry's wait is its backoff, which is not queueing; nor is a
  // stalled job's run again (taken before, `ats` counted it, by a worker that died): its
  // time since was the crash and the lock's expiry, and its first run was counted then.
  if (j.attempts_made > 0 || j.attempts_started > 1) return;
  const auto taken = j.processed_on.value_or(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const auto ready = j.first_due_ms();
  const auto waited_ms = taken > ready ? taken - ready : 0;
  wait_.with(queue).observe(static_cast<double>(waited_ms) / 1000.0);
}

void job_metrics::observe_end(const labels& queue, std::chrono::steady_clock::time_point started, bool ok) {
  const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  processing_.with(with_outcome(queue, ok)).observe(took);
}

processor job_metrics::timed(processor p, const app::queue_shard& where) {
  auto queue = labels_of(where);
  if (p.async_) {
    auto inner = std::move(p.async_);
    return processor::async([this, inner, queue](job_context& ctx) -> net::awaitable<json::value> {
      observe_start(ctx.job(), queue);
      const auto started = std::chrono::steady_clock::now();
      std::exception_ptr failure;
      json::value result;
      try {
        result = co_await inner(ctx);
      } catch (...) {
        failure = std::current_exception();
      }
      observe_end(queue, started, !failure && !ctx.cancelled());
      if (failure) std::rethrow_exception(failure);
      co_return result;
    });
  }
  auto inner = std::move(p.blocking_);
  return processor::blocking([this, inner, queue](blocking_job_context& ctx) -> json::value {
    observe_start(ctx.job(), queue);
    const auto started = std::chrono::steady_clock::now();
    try {
      auto result = inner(ctx);
      observe_end(queue, started, !ctx.cancelled());
      return result;
    } catch (...) {
      observe_end(queue, started, false);
      throw;
    }
  });
}

void job_metrics::sample(const std::vector<std::pair<app::queue_shard, const worker*>>& workers) {
  for (const auto& [where, w] : workers) {
    const auto queue = labels_of(where);
    const auto s = w->stats();
    busy_.with(queue).set(static_cast<double>(s.running));
    concurrency_.with(queue).set(static_cast<double>(s.concurrency));
    utilization_.with(queue).set(s.concurrency ? static_cast<double>(s.running) / static_cast<double>(s.concurrency)
                                               : 0);
    completed_.with(queue).set_total(static_cast<double>(s.completed));
    failed_.with(queue).set_total(static_cast<double>(s.failed));
  }
}

}  // namespace drover::workers
