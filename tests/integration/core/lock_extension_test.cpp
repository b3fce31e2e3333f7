// lock_extension_test.cpp - job_context::extend_lock (Node's job.extendLock from a
// processor): the lock lasts as asked, and the worker's own renewal does not shorten it.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class lock_extension_test : public test::queue_fixture {
 protected:
  lock_extension_test() : queue_fixture("lock-extension") {}

  worker_options short_locks() const {
    auto o = wopts();
    o.lock_duration = 1000ms;  // renewed every 500 ms to 1 s
    return o;
  }
  long long lock_ttl(const std::string& id) const { return std::stoll(cli("PTTL " + key(id + ":lock"))); }

  // Runs a job under `proc`, which extends its lock to 20 s, then sets `extended` and
  // holds the job until `release`: the lock lasts that long, and three rounds of the
  // worker's own renewal of its 1 s lock do not shorten it.
  void expect_extended_lock(const processor& proc, const std::atomic<bool>& extended, std::atomic<bool>& release) {
    run_async([&](net::io_context& io) -> net::awaitable<void> {
      queue q(io.get_executor(), name, qopts());
      auto j = co_await q.add("long", json::object{});
      test::worker_thread w(name, proc, short_locks());
      EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return extended.load(); }));
      EXPECT_GT(lock_ttl(j.id), 15000);
      co_await test::sleep_ms(1500);
      EXPECT_GT(lock_ttl(j.id), 15000);
      release = true;
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::completed); }));
      q.close();
    });
  }
};

TEST_F(lock_extension_test, an_async_processor_extends_its_lock_past_the_renewals) {
  std::atomic<bool> extended{false}, release{false};
  auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    co_await ctx.extend_lock(20s);
    extended = true;
    while (!release) co_await test::sleep_ms(20);
    co_return "done";
  });
  expect_extended_lock(proc, extended, release);
}

TEST_F(lock_extension_test, a_blocking_processor_extends_its_lock) {
  std::atomic<bool> extended{false}, release{false};
  auto proc = processor::blocking([&](blocking_job_context& ctx) -> json::value {
    ctx.extend_lock(20s);
    extended = true;
    while (!release) std::this_thread::sleep_for(20ms);
    return "done";
  });
  expect_extended_lock(proc, extended, release);
}

TEST_F(lock_extension_test, a_lost_lock_fails_the_extension) {
  std::atomic<bool> refused{false};
  std::atomic<bool> stolen{false};
  auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    // Extends only once the lock is another's: a fixed sleep lost that race on a busy machine.
    while (!stolen) co_await test::sleep_ms(10);
    try {
      co_await ctx.extend_lock(20s);
    } catch (const error& e) {
      refused = e.is(errc::lock_missing);
    }
    co_return "done";
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto j = co_await q.add("stolen", json::object{});
    test::worker_thread w(name, proc, short_locks());
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::active); }));
    cli("SET " + key(j.id + ":lock") + " someone-else");
    stolen = true;
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return refused.load(); }));
    q.close();
  });
}

}  // namespace
}  // namespace drover
