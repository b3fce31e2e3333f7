// wait_until_finished_test.cpp - queue::wait_until_finished (Node's job.waitUntilFinished):
// a finish before the call, after it, a failure, a timeout and a missing job.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

// Built outside the coroutines: GCC 12 cannot compile a braced json::object inside one.
using test::with_n;
json::value fails_with(std::string reason) { return json::object{{"fail", reason}}; }

class wait_until_finished_test : public test::queue_fixture {
 protected:
  wait_until_finished_test() : queue_fixture("wait-finished") {}

  // Doubles its input after `ms`; fails when told to.
  static processor doubling(long ms) {
    return processor::async([ms](job_context& ctx) -> net::awaitable<json::value> {
      co_await test::sleep_ms(ms);
      const auto& d = ctx.job().data.as_object();
      if (d.contains("fail")) throw std::runtime_error(std::string(d.at("fail").as_string()));
      co_return d.at("n").to_number<std::int64_t>() * 2;
    });
  }
};

TEST_F(wait_until_finished_test, answers_at_once_for_a_job_finished_before_the_call) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("early", with_n(21));
    {
      test::worker_thread w(name, doubling(0), wopts());
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
    }
    auto started = std::chrono::steady_clock::now();
    auto v = co_await q.wait_until_finished(j.id, 5s);
    EXPECT_EQ(v, 42);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    q.close();
  });
}

TEST_F(wait_until_finished_test, returns_the_value_of_a_job_that_finishes_while_waiting) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("later", with_n(5));
    test::worker_thread w(name, doubling(300), wopts());
    auto v = co_await q.wait_until_finished(j.id, 10s);
    EXPECT_EQ(v, 10);
    q.close();
  });
}

TEST_F(wait_until_finished_test, throws_job_failed_with_the_reason) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("bad", fails_with("no such account"));
    test::worker_thread w(name, doubling(200), wopts());
    std::string reason, failed_id;
    try {
      co_await q.wait_until_finished(j.id, 10s);
    } catch (const job_failed& e) {
      reason = e.what();
      failed_id = e.job_id;
    }
    EXPECT_EQ(reason, "no such account");
    EXPECT_EQ(failed_id, j.id);
    // Already failed: the same answer, from the job's state.
    reason.clear();
    try {
      co_await q.wait_until_finished(j.id);
    } catch (const job_failed& e) {
      reason = e.what();
    }
    EXPECT_EQ(reason, "no such account");
    q.close();
  });
}

// A job removed as it finished (removeOnComplete / removeOnFail) is gone when the wait
// begins: its end is read from the events stream (a review: a third of such waits failed
// with "Missing key"). A job removed before it ran is still missing.
TEST_F(wait_until_finished_test, answers_for_a_job_removed_as_it_finished) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    job_options removed;
    removed.remove_on_complete = true;
    removed.remove_on_fail = true;
    auto good = with_n(21);
    auto adding_good = q.add("removed-when-done", good, removed);
    auto ok = co_await std::move(adding_good);
    auto bad = fails_with("gone but said");
    auto adding_bad = q.add("removed-when-failed", bad, removed);
    auto failing = co_await std::move(adding_bad);
    auto plain = with_n(1);
    auto adding_plain = q.add("never-runs", plain);
    auto never = co_await std::move(adding_plain);
    {
      test::worker_thread w(name, doubling(0), wopts());
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, never.id, job_state::completed); }));
    }
    const auto started = std::chrono::steady_clock::now();
    auto v = co_await q.wait_until_finished(ok.id, 5s);
    EXPECT_EQ(v, 42);
    std::string reason;
    try {
      co_await q.wait_until_finished(failing.id, 5s);
    } catch (const job_failed& e) {
      reason = e.what();
    }
    EXPECT_EQ(reason, "gone but said");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    // Removed without running: its "added" entry is found before any end of it.
    auto unrun = with_n(3);
    auto adding_unrun = q.add("removed-unrun", unrun);
    auto removed_unrun = co_await std::move(adding_unrun);
    co_await q.remove(removed_unrun.id);
    bool missing = false;
    try {
      co_await q.wait_until_finished(removed_unrun.id, 300ms);
    } catch (const error& e) {
      missing = e.is(errc::job_not_found);
    }
    EXPECT_TRUE(missing);
    q.close();
  });
}

// Jobs finishing while the waits begin: each wait sees its job's finish, whether in the
// state check or in the stream, and none times out in between.
TEST_F(wait_until_finished_test, no_finish_is_missed_around_the_start_of_a_wait) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
      auto data = with_n(i);
      auto j = co_await q.add("race", std::move(data));
      ids.push_back(j.id);
    }
    auto o = wopts();
    o.concurrency = 4;
    test::worker_thread w(name, doubling(5), o);
    for (int i = 0; i < 40; ++i) {
      auto v = co_await q.wait_until_finished(ids[static_cast<std::size_t>(i)], 5s);
      EXPECT_EQ(v, 2 * i);
    }
    q.close();
  });
}

TEST_F(wait_until_finished_test, times_out_and_names_a_missing_job) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("nobody-runs-it", json::object{});
    auto started = std::chrono::steady_clock::now();
    bool timed_out = false;
    try {
      co_await q.wait_until_finished(j.id, 300ms);
    } catch (const error& e) {
      timed_out = e.is(errc::timed_out);
    }
    EXPECT_TRUE(timed_out);
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, 290ms);
    EXPECT_LT(waited, 2s);
    bool missing = false;
    try {
      const std::string missing_id = "no-such-job";
      co_await q.wait_until_finished(missing_id, 300ms);
    } catch (const error& e) {
      missing = e.is(errc::job_not_found);
    }
    EXPECT_TRUE(missing);
    // A job id that names one of the queue's own keys is no job, not a wait for ever.
    bool not_a_job = false;
    try {
      const std::string meta = "meta";
      co_await q.wait_until_finished(meta);
    } catch (const error& e) {
      not_a_job = e.is(errc::job_not_found);
    }
    EXPECT_TRUE(not_a_job);
    q.close();
  });
}

// close() ends a wait without a ttl, which reads events on a connection of its own: it
// waited for ever, and the program's event loop never ran out of work.
TEST_F(wait_until_finished_test, close_ends_a_wait_in_progress) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    const json::value data = json::object{};
    auto add = q.add("nobody-runs-it", data);  // named: GCC 12 and temporaries in co_await
    auto j = co_await std::move(add);
    net::steady_timer t(io, 300ms);
    t.async_wait([&q](boost::system::error_code) { q.close(); });
    const auto started = std::chrono::steady_clock::now();
    bool ended_by_close = false;
    try {
      co_await q.wait_until_finished(j.id);
    } catch (const error&) {
      ended_by_close = true;
    }
    EXPECT_TRUE(ended_by_close);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  });
}

}  // namespace
}  // namespace drover
