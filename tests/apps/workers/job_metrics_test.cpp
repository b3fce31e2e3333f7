// job_metrics_test.cpp - the Workers app's job series, from real workers on a private
// redis-server: every series names the BullMQ queue its worker takes jobs from (a shard's
// own name) and the logical queue (the sharded queue, or a plain queue itself), both for
// a processor's timings and for the workers' sampled slots and totals.
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <drover/queue.hpp>
#include <drover/worker.hpp>
#include <drover_app/app_job_id.hpp>
#include <drover_app/metrics/registry.hpp>

#include "support/async.hpp"
#include "support/redis_server.hpp"
#include "workers/job_metrics.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace drover {
namespace {

using test::eventually;
using test::run_async;

// Runs one job through a worker of `where` whose processor is timed, then samples the
// worker; returns the registry's exposition.
// `started_before`: the job's `ats` before the worker takes it, as a worker that took
// it and died leaves it.
std::string metrics_after_one_job(const app::queue_shard& where, processor p, int started_before = 0) {
  app::metrics::registry registry;
  workers::job_metrics jobs(registry);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    const queue_options qo{"bull", test::redis_server::shared().options()};
    queue q(io.get_executor(), where.queue_name(), qo);
    job_options o;
    o.attempts = 1;
    std::string name = "j";
    json::value data = json::object{};
    auto added = co_await q.add(std::move(name), std::move(data), o);
    if (started_before > 0) {
      test::redis_server::shared().cli("HSET bull:" + where.queue_name() + ":" + added.id + " ats " +
                                       std::to_string(started_before));
    }
    worker_options wo;
    wo.redis = qo.redis;
    wo.drain_delay = 200ms;
    wo.concurrency = 3;
    worker w(io.get_executor(), where.queue_name(), jobs.timed(std::move(p), where), wo);
    w.start();
    auto finished = [&]() -> net::awaitable<bool> {
      auto state = co_await q.get_job_state(added.id);
      co_return state == job_state::completed || state == job_state::failed;
    };
    EXPECT_TRUE(co_await eventually(finished, 10s));
    // The worker counts the job once its outcome is recorded, just after the state.
    auto counted = [&]() -> net::awaitable<bool> {
      const auto s = w.stats();
      co_return s.completed + s.failed == 1;
    };
    EXPECT_TRUE(co_await eventually(counted, 5s));
    jobs.sample({{where, &w}});
    co_await w.close();
    q.close();
  });
  return registry.expose();
}

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(job_metrics, a_shards_series_name_the_shard_and_its_logical_queue) {
  const auto logical = test::unique_queue("metrics");
  const app::queue_shard where{logical, 3, 1};
  const auto text = metrics_after_one_job(
      where, processor::async([](job_context&) -> net::awaitable<json::value> { co_return json::value("ok"); }));
  const auto labels = "queue=\"" + where.queue_name() + "\",logical_queue=\"" + logical + "\"";
  EXPECT_TRUE(has(text, "drover_job_processing_seconds_count{" + labels + ",outcome=\"completed\"} 1")) << text;
  EXPECT_TRUE(has(text, "drover_job_wait_seconds_count{" + labels + "} 1")) << text;
  EXPECT_TRUE(has(text, "drover_worker_jobs_completed_total{" + labels + "} 1")) << text;
  EXPECT_TRUE(has(text, "drover_worker_jobs_failed_total{" + labels + "} 0")) << text;
  EXPECT_TRUE(has(text, "drover_worker_concurrency{" + labels + "} 3")) << text;
  EXPECT_TRUE(has(text, "drover_worker_busy_slots{" + labels + "} 0")) << text;
  EXPECT_TRUE(has(text, "drover_worker_utilization{" + labels + "} 0")) << text;
  // Never the logical name as a queue of its own: `sum by (logical_queue)` would count twice.
  EXPECT_EQ(text.find("{queue=\"" + logical + "\""), std::string::npos) << text;
}

TEST(job_metrics, a_plain_queue_is_its_own_logical_queue_and_a_blocking_failure_is_failed) {
  const auto name = test::unique_queue("metrics");
  const auto text = metrics_after_one_job(
      app::queue_shard{name, 0, 0},
      processor::blocking([](blocking_job_context&) -> json::value { throw std::runtime_error("broken"); }));
  const auto labels = "queue=\"" + name + "\",logical_queue=\"" + name + "\"";
  EXPECT_TRUE(has(text, "drover_job_processing_seconds_count{" + labels + ",outcome=\"failed\"} 1")) << text;
  EXPECT_TRUE(has(text, "drover_worker_jobs_failed_total{" + labels + "} 1")) << text;
}

// An observability review: a job run again after its worker was killed was counted a
// second time, with the crash and the lock's expiry as its wait (43 s each).
TEST(job_metrics, a_stalled_job_run_again_is_not_counted_as_waiting_again) {
  const auto name = test::unique_queue("metrics");
  const auto text = metrics_after_one_job(
      app::queue_shard{name, 0, 0},
      processor::async([](job_context&) -> net::awaitable<json::value> { co_return json::value("ok"); }), 1);
  const auto labels = "queue=\"" + name + "\",logical_queue=\"" + name + "\"";
  EXPECT_TRUE(has(text, "drover_job_processing_seconds_count{" + labels + ",outcome=\"completed\"} 1")) << text;
  // No wait observed (a series with none is not written at all).
  EXPECT_EQ(text.find("drover_job_wait_seconds_count{" + labels + "} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace drover
