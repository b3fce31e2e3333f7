// blocking_processor_test.cpp - processor::blocking against Redis: jobs on the worker's
// thread pool hand progress and log lines to the event loop and wait for them, several at
// once, while other threads read the worker's counters. Run under ThreadSanitizer by
// `make test` (scripts/test.sh), where the pool threads meet the event loop.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

class blocking_processor_test : public test::queue_fixture {
 protected:
  blocking_processor_test() : queue_fixture("blocking-processor") {}
};

TEST_F(blocking_processor_test, pool_threads_report_progress_and_logs_through_the_event_loop) {
  constexpr int jobs = 6;
  constexpr int steps = 5;
  const worker* observed = nullptr;  // set before the worker starts
  std::atomic<std::size_t> most_running{0};
  auto proc = processor::blocking([&](blocking_job_context& ctx) -> json::value {
    for (int i = 1; i <= steps; ++i) {
      ctx.update_progress(i * 100 / steps);
      ctx.log("step " + std::to_string(i));
      // The counters are documented safe from any thread: read them from a pool thread.
      auto running = observed->stats().running;
      auto seen = most_running.load();
      while (running > seen && !most_running.compare_exchange_weak(seen, running)) {
      }
      std::this_thread::sleep_for(5ms);
    }
    return ctx.job().data;
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < jobs; ++i) co_await q.add("cpu", json::value(i));
    auto o = wopts();
    o.concurrency = 3;
    o.cpu_threads = 2;
    worker w(io.get_executor(), name, proc, o);
    observed = &w;
    w.start();
    // And from a thread of the test's own, while the jobs run.
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (!done.load()) {
        (void)w.stats();
        std::this_thread::sleep_for(1ms);
      }
    });
    EXPECT_TRUE(co_await eventually([&] { return count_is(q, "completed", jobs); }));
    done = true;
    reader.join();
    co_await w.close();
    EXPECT_EQ(w.stats().completed, static_cast<std::uint64_t>(jobs));
    EXPECT_GE(most_running.load(), 2u);
    for (int i = 1; i <= jobs; ++i) {
      auto id = std::to_string(i);
      auto j = co_await q.get_job(id);
      DROVER_CO_ASSERT_TRUE(j.has_value());
      EXPECT_EQ(j->progress, json::value(100)) << id;
      auto [lines, count] = co_await q.get_job_logs(id);
      EXPECT_EQ(count, steps) << id;
    }
    q.close();
  });
}

}  // namespace
}  // namespace drover
