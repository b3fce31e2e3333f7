// worker_events_test.cpp - the callbacks a worker calls (worker_events.hpp): which, with
// what, in what order, on which thread, and that one that throws harms nothing.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <mutex>
#include <thread>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class worker_events_test : public test::queue_fixture {
 protected:
  worker_events_test() : queue_fixture("events-test") {}
};

// What the callbacks saw, in order, and on which thread.
struct event_log {
  std::mutex m;
  std::vector<std::string> lines;
  std::vector<std::thread::id> threads;
  void add(std::string line) {
    std::lock_guard lock(m);
    lines.push_back(std::move(line));
    threads.push_back(std::this_thread::get_id());
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(m);
    return lines;
  }
  std::vector<std::string> of(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& l : snapshot()) {
      if (l.find(" " + id) != std::string::npos) out.push_back(l);
    }
    return out;
  }
};

worker_events record_into(event_log& log) {
  worker_events e;
  e.active = [&log](const job& j) { log.add("active " + j.id); };
  e.progress = [&log](const std::string& id, const json::value& p) {
    log.add("progress " + id + " " + json::serialize(p));
  };
  e.completed = [&log](const job& j, const json::value& r) { log.add("completed " + j.id + " " + json::serialize(r)); };
  e.failed = [&log](const job& j, const std::string& reason, bool will_retry) {
    log.add("failed " + j.id + " " + reason + (will_retry ? " retry" : " final"));
  };
  e.drained = [&log] { log.add("drained"); };
  e.closed = [&log] { log.add("closed"); };
  return e;
}

TEST_F(worker_events_test, a_job_reports_active_progress_then_its_outcome_and_the_queue_reports_drained_once) {
  event_log log;
  auto proc = processor::async([](job_context& ctx) -> net::awaitable<json::value> {
    if (ctx.job().name == "bad") throw std::runtime_error("boom");
    co_await ctx.update_progress(50);
    co_return "done";
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto good = co_await q.add("good", json::object{});
    auto two_tries = job_options::from_json(json::parse(R"({"attempts":2})"));
    auto bad = co_await q.add("bad", json::object{}, two_tries);
    {
      test::worker_thread w(name, proc, wopts(), record_into(log));
      EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return log.of(bad.id).size() == 4; }));
      EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> {
        auto lines = log.snapshot();
        co_return std::count(lines.begin(), lines.end(), "drained") == 1;
      }));
      co_await test::sleep_ms(600);  // a few more marker waits report nothing new
    }
    EXPECT_EQ(log.of(good.id), (std::vector<std::string>{"active " + good.id, "progress " + good.id + " 50",
                                                         "completed " + good.id + " \"done\""}));
    EXPECT_EQ(log.of(bad.id), (std::vector<std::string>{"active " + bad.id, "failed " + bad.id + " boom retry",
                                                        "active " + bad.id, "failed " + bad.id + " boom final"}));
    auto lines = log.snapshot();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "drained"), 1);
    DROVER_CO_ASSERT_TRUE(!lines.empty());
    EXPECT_EQ(lines.back(), "closed");
    // Every callback ran on the worker's one thread, not the test's.
    std::lock_guard lock(log.m);
    for (const auto& t : log.threads) EXPECT_EQ(t, log.threads.front());
    EXPECT_NE(log.threads.front(), std::this_thread::get_id());
    q.close();
  });
}

TEST_F(worker_events_test, a_callback_that_throws_harms_neither_the_job_nor_the_worker) {
  worker_events e;
  e.completed = [](const job&, const json::value&) { throw std::runtime_error("the owner's bug"); };
  auto proc = processor::async([](job_context&) -> net::awaitable<json::value> { co_return 1; });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto a = co_await q.add("a", json::object{});
    auto b = co_await q.add("b", json::object{});
    test::worker_thread w(name, proc, wopts(), e);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, a.id, job_state::completed); }));
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, b.id, job_state::completed); }));
    q.close();
  });
}

// A C++ user's review: the callbacks had the job as it was before the attempt, where
// Node's listeners have it after: a ported `attemptsMade >= attempts` check was one off,
// and failed_reason the previous attempt's.
TEST_F(worker_events_test, the_callbacks_get_the_job_with_the_attempt_counted_and_its_outcome) {
  event_log log;
  worker_events e;
  e.completed = [&log](const job& j, const json::value&) {
    log.add(fmt::format("completed {} made {} returned {} finished {}", j.id, j.attempts_made,
                        json::serialize(j.returnvalue), j.finished_on.has_value()));
  };
  e.failed = [&log](const job& j, const std::string&, bool) {
    log.add(fmt::format("failed {} made {} reason {} traces {} finished {}", j.id, j.attempts_made,
                        j.failed_reason.value_or("-"), j.stacktrace.size(), j.finished_on.has_value()));
  };
  // Lines of one job (log.of would take "made 1" for job 1's).
  auto of = [&log](const std::string& id) {
    std::vector<std::string> out;
    for (const auto& l : log.snapshot()) {
      if (l.rfind("completed " + id + " ", 0) == 0 || l.rfind("failed " + id + " ", 0) == 0) out.push_back(l);
    }
    return out;
  };
  auto proc = processor::async([](job_context& ctx) -> net::awaitable<json::value> {
    if (ctx.job().name == "bad") throw std::runtime_error("boom " + std::to_string(ctx.job().attempts_made + 1));
    co_return json::object{{"x", 1}};
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto good = co_await q.add("good", json::object{});
    auto two_tries = job_options::from_json(json::parse(R"({"attempts":2})"));
    auto bad = co_await q.add("bad", json::object{}, two_tries);
    {
      test::worker_thread w(name, proc, wopts(), e);
      EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return of(bad.id).size() == 2; }));
      EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return of(good.id).size() == 1; }));
    }
    EXPECT_EQ(of(good.id),
              (std::vector<std::string>{"completed " + good.id + " made 1 returned {\"x\":1} finished true"}));
    EXPECT_EQ(of(bad.id),
              (std::vector<std::string>{"failed " + bad.id + " made 1 reason boom 1 traces 1 finished false",
                                        "failed " + bad.id + " made 2 reason boom 2 traces 2 finished true"}));
    q.close();
  });
}

}  // namespace
}  // namespace drover
