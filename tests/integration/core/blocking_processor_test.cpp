// blocking_processor_test.cpp - processor::blocking against Redis: jobs on the worker's
// thread pool hand progress and log lines to the event loop and wait for them, several at
// once, while other threads read the worker's counters. Run under ThreadSanitizer by
// `make test` (scripts/test.sh), where the pool threads meet the event loop.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

class blocking_processor_test : public test::queue_fixture {
 protected:
  blocking_processor_test() : queue_fixture("blocking-processor") {}

  // Adds `jobs` jobs with `jo` and runs them on a worker with as many slots and one pool
  // thread until all are completed (10 s at most); then closes the worker.
  net::awaitable<void> run_on_one_thread(net::io_context& io, queue& q, processor proc, int jobs, job_options jo) {
    for (int i = 0; i < jobs; ++i) {
      auto data = test::with_n(i);  // named: no temporaries inside a co_await (GCC 12)
      co_await q.add("cpu", std::move(data), jo);
    }
    auto o = wopts();
    o.concurrency = jobs;
    o.cpu_threads = 1;
    worker w(io.get_executor(), name, std::move(proc), o);
    w.start();
    auto all_completed = [&] { return count_is(q, "completed", jobs); };
    EXPECT_TRUE(co_await eventually(all_completed));
    co_await w.close();
  }
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

// More jobs than pool threads: each job's work, its end time (ms since the epoch, as
// finishedOn) and whether it was told to stop when it began.
struct timed_work {
  explicit timed_work(std::chrono::milliseconds l) : length(l) {}
  std::chrono::milliseconds length;
  std::mutex m;
  std::map<std::string, std::int64_t> ended;     // by job id
  std::map<std::string, bool> stopped_at_start;  // by job id

  processor make() {
    return processor::blocking([this](blocking_job_context& ctx) -> json::value {
      const bool stopped = ctx.cancelled();
      const auto end = std::chrono::steady_clock::now() + length;
      while (std::chrono::steady_clock::now() < end && !ctx.cancelled()) std::this_thread::sleep_for(5ms);
      std::lock_guard lock(m);
      stopped_at_start[ctx.job().id] = stopped;
      ended[ctx.job().id] = now_ms();
      return "done";
    });
  }
};

// Issue: the result of a finished job went back through Asio's co_spawn, whose last step
// waited on the pool behind the jobs queued there: with one thread and three jobs the
// first was recorded only after the third had run.
TEST_F(blocking_processor_test, a_finished_job_is_recorded_while_the_pool_runs_the_next) {
  constexpr int jobs = 3;
  timed_work work{400ms};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto proc = work.make();
    job_options jo;
    co_await run_on_one_thread(io, q, std::move(proc), jobs, jo);
    for (int i = 1; i <= jobs; ++i) {
      auto id = std::to_string(i);
      auto j = co_await q.get_job(id);
      DROVER_CO_ASSERT_TRUE(j.has_value() && j->finished_on.has_value());
      std::lock_guard lock(work.m);
      DROVER_CO_ASSERT_TRUE(work.ended.count(id) == 1);
      // Recorded within a generous margin of the processor's return; the queued job
      // behind it takes 400 ms.
      EXPECT_LT(*j->finished_on - work.ended[id], 250) << "job " << id;
    }
    q.close();
  });
}

// A blocking job's timeout counts from when a pool thread takes it: jobs waiting for the
// one thread neither time out in the queue nor start already told to stop.
TEST_F(blocking_processor_test, a_timeout_counts_from_when_a_pool_thread_takes_the_job) {
  constexpr int jobs = 3;
  timed_work work{300ms};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto proc = work.make();
    job_options jo;
    jo.timeout = 700;  // each runs 300 ms; the third waits 600 ms for the thread
    co_await run_on_one_thread(io, q, std::move(proc), jobs, jo);
    for (int i = 1; i <= jobs; ++i) {
      auto id = std::to_string(i);
      auto state = co_await q.get_job_state(id);
      EXPECT_EQ(state, job_state::completed) << "job " << id;
      std::lock_guard lock(work.m);
      EXPECT_FALSE(work.stopped_at_start[id]) << "job " << id;
    }
    q.close();
  });
}

// A library review: close() handed back a job whose blocking processor still ran (it
// looked at cancelled() only now and then), and another worker ran it at the same time.
// close() now returns after the processor has, and only then hands the job back.
TEST_F(blocking_processor_test, close_returns_after_a_blocking_processor_told_to_stop_has_returned) {
  std::atomic<bool> returned{false};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto data = test::with_n(1);
    auto adding = q.add("slow-to-stop", std::move(data));
    auto j = co_await std::move(adding);
    auto proc = processor::blocking([&](blocking_job_context& ctx) -> json::value {
      std::this_thread::sleep_for(1200ms);  // work that looks at cancelled() only at its end
      returned = true;
      return ctx.cancelled() ? "stopped" : "done";
    });
    auto o = wopts();
    o.cpu_threads = 1;
    worker w(io.get_executor(), name, std::move(proc), o);
    w.start();
    auto running = [&]() -> net::awaitable<bool> { co_return w.running() == 1; };
    EXPECT_TRUE(co_await eventually(running));
    const auto started = std::chrono::steady_clock::now();
    co_await w.close(100ms);
    EXPECT_TRUE(returned.load()) << "close() returned while the processor still ran";
    EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
    // Handed back once its processor had returned: waiting, for the next worker.
    auto state = co_await q.get_job_state(j.id);
    EXPECT_EQ(state, job_state::waiting);
    q.close();
  });
}

}  // namespace
}  // namespace drover
