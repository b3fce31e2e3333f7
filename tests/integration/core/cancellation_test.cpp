// cancellation_test.cpp - queue::cancel against workers in other threads (each with
// its own connections), the races around a job's start and end, and timeouts
// (per job and per queue) as processors see them.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <thread>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class cancellation_test : public test::queue_fixture {
 public:
  cancellation_test() : queue_fixture("cancel-test") {}

  // A cancel of the running job `id` answered "signalled"; then `release` lets its
  // processor go on, and the job ends failed "cancelled".
  net::awaitable<void> cancel_while_running(queue& q, const std::string& id, std::atomic<bool>& release) {
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, id, job_state::active); }));
    EXPECT_EQ(co_await q.cancel(id), cancel_outcome::signalled);
    release = true;
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, id, job_state::failed); }));
    auto failed = co_await q.get_job(id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "cancelled");
  }
};

// An async processor that waits (up to 30 s) until it is stopped, and says why.
processor waits_until_stopped(std::atomic<int>& started, std::atomic<cancellation>& seen) {
  return processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    ++started;
    try {
      co_await test::sleep_ms(30000);
    } catch (const boost::system::system_error&) {
      seen = ctx.cancel_reason();
    }
    co_return "finished anyway";
  });
}

// A CPU-bound processor that spins (up to 30 s) until cancelled() turns true.
processor spins_until_stopped(std::atomic<int>& started, std::atomic<cancellation>& seen) {
  return processor::blocking([&](blocking_job_context& ctx) -> json::value {
    ++started;
    auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until && !ctx.cancelled()) std::this_thread::sleep_for(1ms);
    seen = ctx.cancel_reason();
    return "finished anyway";
  });
}

TEST_F(cancellation_test, removes_waiting_delayed_and_prioritized_jobs) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto waiting = co_await q.add("w", json::object());
    auto delayed_opts = job_options::from_json(json::parse(R"({"delay":60000})"));
    auto delayed = co_await q.add("d", json::object(), delayed_opts);
    auto prio_opts = job_options::from_json(json::parse(R"({"priority":5})"));
    auto prioritized = co_await q.add("p", json::object(), prio_opts);
    EXPECT_EQ(co_await q.get_job_state(prioritized.id), job_state::prioritized);
    std::vector<std::string> ids{waiting.id, delayed.id, prioritized.id};
    for (const auto& id : ids) {
      EXPECT_EQ(co_await q.cancel(id, "not needed"), cancel_outcome::removed) << id;
      EXPECT_FALSE((co_await q.get_job(id)).has_value()) << id;
    }
    auto counts = co_await q.get_job_counts();
    for (const auto& [state, n] : counts) EXPECT_EQ(n, 0) << state;
    EXPECT_EQ(co_await q.cancel("no-such-job"), cancel_outcome::not_found);
    q.close();
  });
  // A `removed` event for each, as BullMQ's removeJob emits.
  auto events = cli("XRANGE " + key("events") + " - +");
  std::size_t removed = 0;
  for (auto at = events.find("removed"); at != std::string::npos; at = events.find("removed", at + 1)) ++removed;
  EXPECT_EQ(removed, 3u);
}

TEST_F(cancellation_test, a_finished_job_is_left_alone) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto done = co_await q.add("ok", json::object());
    {
      test::worker_thread w(name, processor::async([](job_context&) -> net::awaitable<json::value> { co_return 1; }),
                            wopts());
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, done.id, job_state::completed); }));
    }
    EXPECT_EQ(co_await q.cancel(done.id), cancel_outcome::already_finished);
    EXPECT_EQ(co_await q.get_job_state(done.id), job_state::completed);
    q.close();
  });
  EXPECT_EQ(cli("HEXISTS " + key("1") + " drover:cancel"), "0");
}

// The issue's promise: the processor is signalled wherever it runs within a second,
// the job fails "cancelled" and is not retried, for both kinds of processor.
void cancels_an_active_job(cancellation_test& t, const std::string& name, bool blocking) {
  std::atomic<int> started{0};
  std::atomic<cancellation> seen{cancellation::none};
  auto proc = blocking ? spins_until_stopped(started, seen) : waits_until_stopped(started, seen);
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, t.qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":3,"backoff":{"type":"fixed","delay":10}})"));
    auto j = co_await q.add("long", json::parse(R"({"n":1})"), opts);
    auto o = t.wopts();
    o.cpu_threads = 1;
    // The promise rests on this interval (250 ms by default); a shorter one leaves the
    // second's margin to a slow sanitized build.
    o.cancel_check_interval = std::chrono::milliseconds(50);
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&] { return t.state_is(q, j.id, job_state::active); }));
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return started.load() == 1; }));

    auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(co_await q.cancel(j.id, "user pressed stop"), cancel_outcome::signalled);
    EXPECT_TRUE(co_await eventually([&] { return t.state_is(q, j.id, job_state::failed); }, 2s));
    auto took = std::chrono::steady_clock::now() - asked;
    EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";

    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "cancelled");
    EXPECT_EQ(failed->attempts_made, 1);  // not retried despite attempts: 3
    DROVER_CO_ASSERT_TRUE(!failed->stacktrace.empty());
    EXPECT_NE(failed->stacktrace.back().find("cancelled: user pressed stop"), std::string::npos);
    EXPECT_TRUE(failed->returnvalue.is_null());  // what the processor returned afterwards is dropped
    // The request is used up. The worker clears it right after recording the failure (a
    // second command: BullMQ's finishing script cannot do it), so the test may see the
    // failed job a moment before that.
    EXPECT_TRUE(co_await eventually(
        [&]() -> net::awaitable<bool> {
          auto now = co_await q.get_job(j.id);
          co_return now && !now->cancel_requested.has_value();
        },
        2s));

    // Retrying the cancelled job by hand runs it again (the request does not linger).
    co_await q.retry_job(j.id);
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return started.load() == 2; }));
    EXPECT_EQ(co_await q.cancel(j.id), cancel_outcome::signalled);
    EXPECT_TRUE(co_await eventually([&] { return t.state_is(q, j.id, job_state::failed); }, 2s));
    w.stop();
    q.close();
  });
  EXPECT_EQ(seen.load(), cancellation::cancelled);
  EXPECT_EQ(started.load(), 2);
  auto events = t.cli("XRANGE " + t.key("events") + " - +");
  EXPECT_NE(events.find("failed"), std::string::npos);
  EXPECT_NE(events.find("cancelled"), std::string::npos);
}

TEST_F(cancellation_test, signals_an_async_processor_in_another_worker) { cancels_an_active_job(*this, name, false); }

TEST_F(cancellation_test, signals_a_blocking_processor_in_another_worker) { cancels_an_active_job(*this, name, true); }

TEST_F(cancellation_test, a_request_made_before_the_job_starts_stops_it_from_running) {
  // The request reached the hash while the job waited (as when a worker takes the job
  // between cancelJob and removeJob): the worker fails it without running it.
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("w", json::object());
    cli("HSET " + key(j.id) + R"( drover:cancel '{"reason":"early","at":1}')");
    auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
      ++runs;
      co_return nullptr;
    });
    test::worker_thread w(name, proc, wopts());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "cancelled");
    EXPECT_NE(failed->stacktrace.back().find("cancelled: early"), std::string::npos);
    q.close();
  });
  EXPECT_EQ(runs.load(), 0);
}

TEST_F(cancellation_test, a_request_made_after_the_last_check_still_wins_at_the_end) {
  // The watcher never polls here (a 60 s interval): only the check before recording
  // the outcome can see the request.
  std::atomic<bool> release{false};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("w", json::object());
    auto proc = processor::blocking([&](blocking_job_context&) -> json::value {
      while (!release) std::this_thread::sleep_for(1ms);
      return "done";
    });
    auto o = wopts();
    o.cancel_check_interval = 60s;
    o.cpu_threads = 1;
    test::worker_thread w(name, proc, o);
    auto cancelling = cancel_while_running(q, j.id, release);  // named: GCC 12 and temporaries in co_await
    co_await std::move(cancelling);
    q.close();
  });
  release = true;
}

// A processor about to do what cannot be taken back asks at once (check_cancelled), not
// at the watcher's next look: here the watcher never looks (a 60 s interval), and the
// processor sees the cancel and stops before its "side effect".
TEST_F(cancellation_test, a_processor_asks_for_a_cancel_before_a_side_effect) {
  std::atomic<bool> release{false}, side_effect{false};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("w", json::object());
    auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
      while (!release) co_await test::sleep_ms(5);
      EXPECT_FALSE(ctx.cancelled()) << "the watcher looked";
      auto asking = ctx.check_cancelled();  // named: GCC 12 and temporaries in co_await
      if (co_await std::move(asking)) co_return "stopped";
      side_effect = true;
      co_return "done";
    });
    auto o = wopts();
    o.cancel_check_interval = 60s;
    worker w(io.get_executor(), name, proc, o);
    w.start();
    auto cancelling = cancel_while_running(q, j.id, release);  // named: GCC 12 and temporaries in co_await
    co_await std::move(cancelling);
    co_await w.close();
    q.close();
  });
  EXPECT_FALSE(side_effect);
}

// A request that lands after the failure's check but before its retry is recorded names
// the attempt that ended; the worker carries it to the retry (here the job, delayed by its
// backoff and unlocked, is removed as queue::cancel removes one) instead of letting it lapse.
TEST_F(cancellation_test, a_request_made_while_a_failure_is_recorded_cancels_the_retry) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":3,"backoff":{"type":"fixed","delay":5000}})"));
    auto j = co_await q.add("w", json::object(), opts);
    auto proc = processor::async([](job_context&) -> net::awaitable<json::value> {
      throw std::runtime_error("fails");
      co_return nullptr;
    });
    worker_events events;
    const std::string job_key = key(j.id);
    // Called once the retry is recorded: the request a cancel made just before it, as
    // cancelJob wrote it then (the attempt that was ending: atm 0).
    events.failed = [this, job_key](const job&, const std::string&, bool will_retry) {
      if (will_retry) cli("HSET " + job_key + R"( drover:cancel '{"reason":"r","at":1,"atm":0}')");
    };
    test::worker_thread w(name, proc, wopts(), events);
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return !(co_await q.get_job(j.id)); }, 3s));
    q.close();
  });
}

TEST_F(cancellation_test, cancelling_while_workers_take_jobs_never_lets_one_complete) {
  // Every cancel races a worker taking the same job: each one ends removed or failed
  // "cancelled", never completed.
  constexpr int n = 40;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto proc = processor::async([](job_context&) -> net::awaitable<json::value> {
      co_await test::sleep_ms(20);
      co_return "done";
    });
    auto o = wopts();
    o.concurrency = 4;
    test::worker_thread w(name, proc, o);
    std::vector<std::pair<std::string, cancel_outcome>> outcomes;
    for (int i = 0; i < n; ++i) {
      auto j = co_await q.add("race", json::object());
      if (i % 3 == 1) co_await test::sleep_ms(i % 7);
      outcomes.emplace_back(j.id, co_await q.cancel(j.id, "race"));
    }
    int removed = 0, signalled = 0;
    for (const auto& [id, outcome] : outcomes) {
      if (outcome == cancel_outcome::removed) {
        ++removed;
        EXPECT_FALSE((co_await q.get_job(id)).has_value()) << id;
        continue;
      }
      ++signalled;
      EXPECT_EQ(outcome, cancel_outcome::signalled) << id;
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, id, job_state::failed); })) << id;
      auto j = co_await q.get_job(id);
      if (j) {
        EXPECT_EQ(j->failed_reason, "cancelled") << id;
      }
    }
    EXPECT_EQ(removed + signalled, n);
    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["completed"], 0);
    q.close();
  });
}

TEST_F(cancellation_test, a_per_queue_default_timeout_applies_to_jobs_without_their_own) {
  std::atomic<int> started{0};
  std::atomic<cancellation> seen{cancellation::none};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto attempts = job_options::from_json(json::parse(R"({"attempts":2})"));
    auto bounded = co_await q.add("bounded", json::object(), attempts);
    // A job's own timeout wins over the queue's: this one may take 5 s.
    auto own = job_options::from_json(json::parse(R"({"timeout":5000})"));
    auto patient = co_await q.add("patient", json::object(), own);
    auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
      if (ctx.job().name == "patient") {
        co_await test::sleep_ms(400);
        co_return "in time";
      }
      ++started;
      try {
        co_await test::sleep_ms(30000);
      } catch (const boost::system::system_error&) {
        seen = ctx.cancel_reason();
      }
      co_return nullptr;
    });
    auto o = wopts();
    o.default_timeout = 200ms;
    o.concurrency = 2;
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, bounded.id, job_state::failed); }));
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, patient.id, job_state::completed); }));
    auto failed = co_await q.get_job(bounded.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "job timed out after 200 ms");
    EXPECT_EQ(failed->attempts_made, 2);  // a timeout is an ordinary failure: retried
    q.close();
  });
  EXPECT_EQ(started.load(), 2);
  EXPECT_EQ(seen.load(), cancellation::timeout);
}

TEST_F(cancellation_test, a_blocking_processor_tells_a_timeout_from_a_cancellation) {
  std::atomic<int> started{0};
  std::atomic<cancellation> seen{cancellation::none};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("spin", json::object());
    auto o = wopts();
    o.default_timeout = 200ms;
    o.cpu_threads = 1;
    test::worker_thread w(name, spins_until_stopped(started, seen), o);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "job timed out after 200 ms");
    q.close();
  });
  EXPECT_EQ(seen.load(), cancellation::timeout);
}

TEST_F(cancellation_test, refuses_bad_options) {
  net::io_context io;
  auto proc = processor::async([](job_context&) -> net::awaitable<json::value> { co_return nullptr; });
  auto o = wopts();
  o.default_timeout = -1ms;
  EXPECT_THROW(worker(io.get_executor(), name, proc, o), error);
  o = wopts();
  o.cancel_check_interval = 0ms;
  EXPECT_THROW(worker(io.get_executor(), name, proc, o), error);
  o = wopts();
  o.dead_letter_queue = name;
  EXPECT_THROW(worker(io.get_executor(), name, proc, o), error);
  o.dead_letter_queue = "bad:name";
  EXPECT_THROW(worker(io.get_executor(), name, proc, o), error);
}

}  // namespace
}  // namespace drover
