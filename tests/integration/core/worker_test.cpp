// worker_test.cpp - the worker against Redis: results, retries, concurrency, locks, stalls,
// rate limits, pause, close, and a Redis restart under load.
#include <drover/flow.hpp>
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "core/lua_scripts.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/drop_stale_marker.hpp"
#include "redis/connection.hpp"
#include "support/captured_log.hpp"
#include "support/engine_test.hpp"
#include "support/processors.hpp"
#include "support/queue_fixture.hpp"
#include "support/redis_server.hpp"

namespace drover {
namespace {

using test::redis_server;

using test::echo;

processor failing(std::string message) {
  return processor::async([message](job_context&) -> net::awaitable<json::value> {
    throw std::runtime_error(message);
    co_return nullptr;
  });
}

processor sleeping(long ms) {
  return processor::async([ms](job_context&) -> net::awaitable<json::value> {
    co_await test::sleep_ms(ms);
    co_return json::value(ms);
  });
}

class worker_test : public test::queue_fixture {
 protected:
  worker_test() : queue_fixture("worker-test") {}
  net::awaitable<bool> counts_are(queue& q, const char* state, std::int64_t n) {
    auto c = co_await q.get_job_counts();
    co_return c[state] == n;
  }
  net::awaitable<bool> counts_at_least(queue& q, const char* state, std::int64_t n) {
    auto c = co_await q.get_job_counts();
    co_return c[state] >= n;
  }
  // Adds jobs `from`..`to` one at a time, each once the last one is done and the worker
  // is back on the marker.
  net::awaitable<void> trickle(queue& q, int from, int to) {
    for (int i = from; i <= to; ++i) {
      co_await q.add("one", json::value(i));
      EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", i); }));
      co_await test::sleep_ms(20);
    }
  }
};

// `o` for the ACL user `user` (password "pw") that a test made.
template <class Options>
Options as_acl_user(Options o, const char* user) {
  o.redis.username = user;
  o.redis.password = "pw";
  return o;
}

TEST_F(worker_test, completes_jobs_and_records_what_bullmq_records) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    json::value data = json::parse(R"({"hello":"world"})");
    auto added = co_await q.add("greet", data);
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job(added.id);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->returnvalue, data);
    EXPECT_EQ(j->attempts_made, 1);
    EXPECT_EQ(j->attempts_started, 1);
    EXPECT_TRUE(j->processed_on.has_value());
    EXPECT_TRUE(j->finished_on.has_value());
    EXPECT_EQ(co_await q.get_job_state(added.id), job_state::completed);
    q.close();
  });
  auto events = cli("XRANGE " + key("events") + " - +");
  for (const char* e : {"added", "waiting", "active", "completed", "drained"}) {
    EXPECT_NE(events.find(e), std::string::npos) << e;
  }
  EXPECT_EQ(cli("EXISTS " + key("1:lock")), "0");
  EXPECT_EQ(cli("LLEN " + key("active")), "0");
}

// How often Redis ran `command` ("client|unblock"), from INFO commandstats.
// On the cluster, the queue's master's count, which the tests running beside (the
// cluster pass runs two at once on one cluster) add to: a test that bounds a count
// from above runs on its own redis-server only.
std::int64_t command_calls(const test::queue_fixture& t, const std::string& command) {
  auto stats = t.cli("INFO commandstats");
  auto at = stats.find("cmdstat_" + command + ":calls=");
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + command.size() + 15));
}

// A C++ user's review: a lock renewed no sooner than it lapses was taken, and one job ran
// five times at once inside one worker.
TEST_F(worker_test, a_lock_renew_time_not_below_the_lock_duration_is_refused) {
  net::io_context io;
  auto opts = wopts();
  opts.lock_duration = 1000ms;
  opts.lock_renew_time = 1000ms;
  auto noop = processor::async([](job_context&) -> net::awaitable<json::value> { co_return nullptr; });
  try {
    worker w(io.get_executor(), name, noop, opts);
    ADD_FAILURE() << "accepted";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument));
    EXPECT_NE(std::string(e.what()).find("lock renew time (1000 ms) must be below the lock duration (1000 ms)"),
              std::string::npos)
        << e.what();
  }
  opts.lock_renew_time = 999ms;
  EXPECT_NO_THROW(worker(io.get_executor(), name, noop, opts));
}

// A C++ user's review: a 2 ms lock let no job complete, and a 1 ms lock or renew time
// renewed in a busy loop.
TEST_F(worker_test, locks_too_short_to_renew_are_refused) {
  net::io_context io;
  auto noop = processor::async([](job_context&) -> net::awaitable<json::value> { co_return nullptr; });
  auto refused = [&](const worker_options& opts, const std::string& said) {
    try {
      worker w(io.get_executor(), name, noop, opts);
      ADD_FAILURE() << "accepted: " << said;
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_NE(std::string(e.what()).find(said), std::string::npos) << e.what();
    }
  };
  auto opts = wopts();
  opts.lock_duration = 2ms;
  refused(opts, "lock duration (2 ms) must be at least 100 ms");
  opts.lock_duration = 30000ms;
  opts.lock_renew_time = 1ms;
  refused(opts, "lock renew time (1 ms) must be 0 (half the lock duration) or at least 10 ms");
  opts.lock_duration = 100ms;
  opts.lock_renew_time = 10ms;
  EXPECT_NO_THROW(worker(io.get_executor(), name, noop, opts));
}

// Plain completions with a next job waiting take drover's lean finish
// (src/lua/moveToFinishedLean-14.lua), not BullMQ's script inside it: BullMQ's makes a
// SCARD and two HINCRBYs per job, the lean one no SCARD and one HINCRBY. Guards the
// optimisation against falling back for good unnoticed; identity.test.mjs proves that
// both leave the same state.
TEST_F(worker_test, plain_completions_take_the_lean_finish) {
  DROVER_SKIP_ON_CLUSTER("counts the node's commands, which the tests running beside add to");
  constexpr int jobs = 200;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    std::vector<new_job> batch(jobs, new_job{"plain", json::value(1), {}});
    co_await q.add_bulk(std::move(batch));
    const auto scard_before = command_calls(*this, "scard");
    const auto hincrby_before = command_calls(*this, "hincrby");
    auto opts = wopts();
    opts.concurrency = 1;
    worker w(io.get_executor(), name, echo(), opts);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", jobs); }));
    co_await w.close();
    // The last completion finds no next job and takes BullMQ's script; a few spare calls
    // for anything else the server ran meanwhile.
    EXPECT_LT(command_calls(*this, "scard") - scard_before, jobs / 10);
    EXPECT_LT(command_calls(*this, "hincrby") - hincrby_before, jobs + jobs / 10);
    q.close();
  });
}

// At a trickle (each job added once the last one is done) the worker blocks on the
// marker once per job. BullMQ's moveToActive puts the marker back as it takes a job, and
// a worker that then blocked on it would wake at once for a fetch in vain; the worker
// drops that stale marker in the same round trip as its wait (src/lua/dropStaleMarker-3.lua).
TEST_F(worker_test, a_trickle_of_jobs_wakes_the_worker_once_per_job) {
  DROVER_SKIP_ON_CLUSTER("counts the node's commands, which the tests running beside add to");
  constexpr int jobs = 20;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    // A wait that times out (the fixture's 200 ms, easily passed between two jobs on a
    // loaded machine) would count as a wake-up of its own.
    auto o = wopts();
    o.drain_delay = std::chrono::seconds(10);
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    co_await test::sleep_ms(300);  // the worker is waiting on the marker
    const auto waits_before = command_calls(*this, "bzpopmin");
    co_await trickle(q, 1, jobs);
    // One wait per job (two before the stale marker was dropped, 2 * jobs), and a few
    // spare. (The 22 of 20 that two clean-clone runs counted were in the cluster pass,
    // whose node also counted the waits of a worker test running beside.)
    EXPECT_LE(command_calls(*this, "bzpopmin") - waits_before, jobs + jobs / 4);
    // Nothing waits, so no base marker is left behind.
    EXPECT_EQ(cli("ZSCORE " + key("marker") + " 0"), "");
    co_await w.close();
    q.close();
  });
}

// Redis restarted or flushed: the wait's dropStaleMarker meets NOSCRIPT. The wait runs
// once all the same (not a second time behind a reload), and the script is loaded for
// the next one.
TEST_F(worker_test, a_wait_after_a_script_flush_runs_once_and_loads_the_drop_for_the_next) {
  DROVER_SKIP_ON_CLUSTER("flushes the node's scripts, which the tests running beside load and flush too");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.drain_delay = std::chrono::seconds(30);  // well past trickle()'s 10 s wait for a job
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    co_await q.add("first", json::value(1));
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 1); }));
    co_await test::sleep_ms(100);  // the worker is waiting on the marker
    EXPECT_EQ(cli("SCRIPT FLUSH"), "OK");
    const std::string sha(detail::lua::drop_stale_marker.sha1);
    // A wait sent twice would leave a job waiting out the 30 s drain delay.
    co_await trickle(q, 2, 4);
    EXPECT_EQ(cli("SCRIPT EXISTS " + sha), "1");
    co_await w.close();
    q.close();
  });
}

// The rule the worker relies on: the base marker goes only while nothing waits (a job in
// wait or prioritized keeps it, so its wake-up is not lost), and delay markers stay.
TEST_F(worker_test, drops_only_a_stale_base_marker) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = redis::connection::create(io.get_executor(), redis());
    const auto drop = [&]() -> net::awaitable<bool> {
      auto call = detail::scripts::run(*conn, detail::scripts::drop_stale_marker::of(detail::queue_keys("bull", name)));
      co_return co_await std::move(call);
    };
    cli("ZADD " + key("marker") + " 0 0");
    cli("RPUSH " + key("wait") + " 7");
    EXPECT_FALSE(co_await drop());
    EXPECT_EQ(cli("ZSCORE " + key("marker") + " 0"), "0");
    cli("DEL " + key("wait"));
    cli("ZADD " + key("prioritized") + " 1 8");
    EXPECT_FALSE(co_await drop());
    EXPECT_EQ(cli("ZSCORE " + key("marker") + " 0"), "0");
    cli("DEL " + key("prioritized"));
    cli("ZADD " + key("marker") + " 1900000000000 1");
    EXPECT_TRUE(co_await drop());
    EXPECT_EQ(cli("ZSCORE " + key("marker") + " 0"), "");
    EXPECT_EQ(cli("ZSCORE " + key("marker") + " 1"), "1900000000000");
    conn->close();
  });
}

TEST_F(worker_test, ends_its_marker_wait_itself_when_a_delayed_job_is_due) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    co_await test::sleep_ms(300);  // the worker is waiting on the marker
    auto unblocks_before = command_calls(*this, "client|unblock");
    job_options o;
    o.delay = 700;
    auto added = co_await q.add("later", json::object(), o);
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job(added.id);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    DROVER_CO_ASSERT_TRUE(j->processed_on.has_value());
    EXPECT_GE(*j->processed_on, j->timestamp + 700);
    // Redis's own timeout of that wait was a second after the due time: the worker's
    // CLIENT UNBLOCK is what ended it.
    EXPECT_GE(command_calls(*this, "client|unblock"), unblocks_before + 1);
    q.close();
  });
}

TEST_F(worker_test, delayed_jobs_still_run_where_an_acl_refuses_client_unblock) {
  DROVER_SKIP_ON_CLUSTER("ACL users are each node's own; the test makes one on one server");
  // Quoted: cli() goes through a shell.
  cli("ACL SETUSER no-unblock on '>pw' '~*' '&*' '+@all' '-client|unblock'");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    worker w(io.get_executor(), name, echo(), as_acl_user(wopts(), "no-unblock"));
    w.start();
    co_await test::sleep_ms(300);
    // The first due timer meets the refusal (the wait is ended by dropping the blocking
    // connection, once); the second job is left to Redis's own timeout.
    for (std::int64_t delay : {400, 800}) {
      job_options jo;
      jo.delay = delay;
      co_await q.add("later", json::object(), jo);
    }
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 2); }));
    co_await w.close();
    q.close();
  });
  // The worker did try, and Redis refused it.
  EXPECT_NE(cli("ACL LOG").find("client|unblock"), std::string::npos);
}

// An ACL without script|load (BullMQ's client needs none: it sends a script Redis lacks
// whole): adds, a flow, the worker's fetches and finishes all run, the scripts sent with
// EVAL (an ACL review found every call refused at "loading it").
TEST_F(worker_test, jobs_and_flows_run_where_an_acl_refuses_script_load) {
  DROVER_SKIP_ON_CLUSTER("ACL users are each node's own; the test makes one on one server");
  cli("ACL SETUSER no-script-load on '>pw' '~*' '&*' '+@all' '-script|load'");
  EXPECT_EQ(cli("SCRIPT FLUSH"), "OK");
  test::captured_log log;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto restricted = [](auto o) { return as_acl_user(std::move(o), "no-script-load"); };
    queue q(io.get_executor(), name, restricted(qopts()));
    // Named: GCC 12 and temporaries in co_await.
    auto adding = q.add("first", json::object{{"n", 1}});
    co_await std::move(adding);
    std::vector<new_job> bulk;
    for (int i = 0; i < 3; ++i) bulk.push_back(new_job{"bulk", json::object{{"n", i}}, {}});
    auto adding_bulk = q.add_bulk(std::move(bulk));
    co_await std::move(adding_bulk);
    flow_producer flows(io.get_executor(), restricted(flow_producer_options{"bull", redis()}));
    flow_job tree;
    tree.name = "parent";
    tree.queue = name;
    flow_job child;
    child.name = "child";
    child.queue = name;
    tree.children.push_back(std::move(child));
    auto adding_flow = flows.add(std::move(tree));
    auto added = co_await std::move(adding_flow);
    EXPECT_FALSE(added.job.id.empty());
    worker w(io.get_executor(), name, echo(), restricted(wopts()));
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 6); }));
    co_await w.close();
    flows.close();
    q.close();
  });
  EXPECT_NE(cli("ACL LOG").find("script|load"), std::string::npos) << "the loads were tried and refused";
  EXPECT_NE(log.text().find("SCRIPT LOAD refused"), std::string::npos) << log.text();
}

// A refusal that lasts (an ACL without the queue's keys) is logged once, not at every
// back-off (an ACL review counted 27 lines in 35 s per queue).
TEST_F(worker_test, a_lasting_refusal_to_fetch_is_logged_once_in_a_while) {
  DROVER_SKIP_ON_CLUSTER("ACL users are each node's own; the test makes one on one server");
  cli("ACL SETUSER no-queue-keys on '>pw' '~elsewhere:*' '&*' '+@all'");
  test::captured_log log;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    worker w(io.get_executor(), name, echo(), as_acl_user(wopts(), "no-queue-keys"));
    w.start();
    co_await test::sleep_ms(1500);
    co_await w.close();
  });
  EXPECT_EQ(log.count("fetching failed"), 1) << log.text();
  // It did try again and again: Redis counts its refusals of one key in one entry.
  const auto acl = cli("ACL LOG 1");
  const auto at = acl.find("count\n");
  ASSERT_NE(at, std::string::npos) << acl;
  EXPECT_GE(std::stoi(acl.substr(at + 6)), 3) << acl;
}

TEST_F(worker_test, runs_up_to_concurrency_jobs_at_once) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < 8; ++i) co_await q.add("s", json::object());
    int now_running = 0, most = 0;
    auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
      most = std::max(most, ++now_running);
      co_await test::sleep_ms(150);
      --now_running;
      co_return nullptr;
    });
    auto o = wopts();
    o.concurrency = 4;
    worker w(io.get_executor(), name, proc, o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 8); }));
    co_await w.close();
    EXPECT_EQ(most, 4);
    q.close();
  });
}

TEST_F(worker_test, retries_with_backoff_then_fails) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":3,"backoff":{"type":"fixed","delay":100}})"));
    auto added = co_await q.add("f", json::object(), opts);
    worker w(io.get_executor(), name, failing("it broke"), wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "failed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job(added.id);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->attempts_made, 3);
    EXPECT_EQ(j->attempts_started, 3);
    EXPECT_EQ(j->failed_reason, "it broke");
    EXPECT_EQ(j->stacktrace.size(), 3u);
    // Three attempts with two 100 ms back-offs between them.
    EXPECT_GE(*j->finished_on - j->timestamp, 200);
    q.close();
  });
  auto events = cli("XRANGE " + key("events") + " - +");
  EXPECT_NE(events.find("retries-exhausted"), std::string::npos);
  EXPECT_NE(events.find("delayed"), std::string::npos);
}

TEST_F(worker_test, unrecoverable_errors_and_deferred_failures_skip_retries) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":5})"));
    co_await q.add("u", json::object(), opts);
    auto proc = processor::async([](job_context&) -> net::awaitable<json::value> {
      throw unrecoverable_error("no point retrying");
      co_return nullptr;
    });
    worker w(io.get_executor(), name, proc, wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "failed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job("1");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->attempts_made, 1);
    EXPECT_EQ(j->failed_reason, "no point retrying");
    q.close();
  });
}

TEST_F(worker_test, a_cpu_bound_processor_keeps_its_lock) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("cpu", json::object());
    co_await q.add("cpu", json::object());
    std::atomic<int> runs{0};
    auto proc = processor::blocking([&](blocking_job_context&) -> json::value {
      ++runs;
      auto until = std::chrono::steady_clock::now() + 1500ms;
      volatile std::uint64_t x = 0;
      while (std::chrono::steady_clock::now() < until) x = x + 1;
      return true;
    });
    auto o = wopts();
    o.concurrency = 2;
    o.cpu_threads = 2;
    o.lock_duration = 400ms;
    o.stalled_interval = 150ms;
    worker w(io.get_executor(), name, proc, o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 2); }));
    co_await w.close();
    EXPECT_EQ(runs.load(), 2);
    for (const char* id : {"1", "2"}) {
      auto j = co_await q.get_job(id);
      DROVER_CO_ASSERT_TRUE(j.has_value());
      EXPECT_EQ(j->stalled_counter, 0) << id;
      EXPECT_EQ(j->attempts_started, 1) << id;
    }
    q.close();
  });
}

TEST_F(worker_test, recovers_a_job_whose_worker_died) {
  // A job taken by a worker that died: active, no lock.
  cli("HSET " + key("dead") + " name d data {} opts {\"attempts\":0} timestamp 1 delay 0 priority 0");
  cli("LPUSH " + key("active") + " dead");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.stalled_interval = 100ms;
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job("dead");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->stalled_counter, 1);
    q.close();
  });
  EXPECT_NE(cli("XRANGE " + key("events") + " - +").find("stalled"), std::string::npos);
}

TEST_F(worker_test, fails_a_job_stalled_more_than_allowed) {
  cli("HSET " + key("dead") + " name d data {} opts {\"attempts\":0} timestamp 1 delay 0 priority 0");
  cli("LPUSH " + key("active") + " dead");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto o = wopts();
    o.stalled_interval = 100ms;
    o.max_stalled_count = 0;
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "failed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job("dead");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->failed_reason, "job stalled more than allowable limit");
    q.close();
  });
}

TEST_F(worker_test, honours_the_rate_limit) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    for (int i = 0; i < 6; ++i) co_await q.add("r", json::object());
    auto o = wopts();
    o.concurrency = 6;
    o.limiter = rate_limiter_options{2, 400ms};
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 6); }));
    co_await w.close();
    std::vector<std::string> done{"completed"};
    auto jobs = co_await q.get_jobs(done);
    std::int64_t first = INT64_MAX, last = 0;
    for (const auto& j : jobs) {
      first = std::min(first, *j.processed_on);
      last = std::max(last, *j.processed_on);
    }
    // Three windows of two jobs: the last starts at least two windows after the first.
    EXPECT_GE(last - first, 700);
    q.close();
  });
}

TEST_F(worker_test, does_not_take_jobs_while_the_queue_is_paused) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.pause();
    co_await q.add("p", json::object());
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    co_await test::sleep_ms(500);
    EXPECT_TRUE(co_await counts_are(q, "waiting", 1));
    co_await q.resume();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 1); }));
    co_await w.close();
    q.close();
  });
}

TEST_F(worker_test, close_hands_running_jobs_back) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("slow", json::object());
    worker w(io.get_executor(), name, sleeping(3000), wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "active", 1); }));
    co_await w.close(100ms);
    EXPECT_TRUE(co_await counts_are(q, "waiting", 1));
    EXPECT_TRUE(co_await counts_are(q, "active", 0));
    q.close();
  });
}

// Handing a job back at close is a round trip; with Redis not answering (a partition, a
// hung server) close() waits for them all a short while past the grace, not a command
// timeout for each in turn (an operator's drill: a minute past a 5 s grace).
TEST_F(worker_test, close_gives_up_on_hand_backs_a_silent_redis_does_not_answer) {
  using clock = std::chrono::steady_clock;
  redis_server own;
  std::optional<clock::duration> close_took;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_options qo;
    qo.redis = own.options();
    queue q(io.get_executor(), name, qo);
    const json::value data = json::object();
    for (int n = 0; n < 3; ++n) {
      auto add = q.add("slow", data);  // named: GCC 12 and temporaries in co_await
      co_await std::move(add);
    }
    auto wo = wopts();
    wo.redis = own.options();
    wo.concurrency = 3;
    worker w(io.get_executor(), name, sleeping(30000), wo);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "active", 3); }));
    // Past the 5 s the close may take, no longer: the UNPAUSE below, a new client, waits
    // for the pause to end, and so does the test.
    own.cli("CLIENT PAUSE 6000 ALL");
    const auto started = clock::now();
    co_await w.close(200ms);
    close_took = clock::now() - started;
    own.cli("CLIENT UNPAUSE");
    q.close();
  });
  ASSERT_TRUE(close_took.has_value());
  EXPECT_LT(*close_took, 5s);
}

// An idle worker's close removes its report from Redis: with Redis silent it waited the
// whole command timeout for that (SIGTERM to the Workers app with Redis frozen took 12 s
// against a 3 s grace, in an operator's drill).
TEST_F(worker_test, an_idle_worker_closes_soon_though_redis_is_silent) {
  using clock = std::chrono::steady_clock;
  redis_server own;
  std::optional<clock::duration> close_took;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto wo = wopts();
    wo.redis = own.options();
    wo.redis.command_timeout = 10s;
    worker w(io.get_executor(), name, echo(), wo);
    w.start();
    co_await test::sleep_ms(300);  // on the marker, its report written
    // Past the 5 s the close may take, no longer: the UNPAUSE below, a new client, waits
    // for the pause to end, and so does the test.
    own.cli("CLIENT PAUSE 6000 ALL");
    const auto started = clock::now();
    co_await w.close(200ms);
    close_took = clock::now() - started;
    own.cli("CLIENT UNPAUSE");
  });
  ASSERT_TRUE(close_took.has_value());
  EXPECT_LT(*close_took, 5s);
}

// A job whose outcome is still being recorded while Redis is away outlives close(): its
// later failure to record must not call the owner, who may have destroyed what its
// callbacks use once `closed` came (a library user's program, under ASan).
TEST_F(worker_test, no_callback_comes_after_closed_though_a_job_is_still_being_recorded) {
  DROVER_SKIP_ON_CLUSTER("stops a redis-server of its own");
  redis_server own;
  bool closed = false, called_after_closed = false;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    {
      queue q(io.get_executor(), name, queue_options{"bull", own.options()});
      auto add = q.add("slow", json::object());  // named: GCC 12 and temporaries in co_await
      co_await std::move(add);
      q.close();
    }
    auto o = wopts();
    o.redis = own.options();
    o.lock_duration = 4s;  // the recording keeps trying this long, past close()
    worker w(io.get_executor(), name, sleeping(800), o);
    w.events().error = [&](const std::exception&) { called_after_closed = called_after_closed || closed; };
    w.events().completed = [&](const job&, const json::value&) { called_after_closed = called_after_closed || closed; };
    w.events().closed = [&] { closed = true; };
    w.start();
    co_await test::sleep_ms(400);  // the job runs
    own.stop();
    co_await test::sleep_ms(800);  // its processor has returned; the completion cannot be recorded
    co_await w.close(200ms);
    EXPECT_TRUE(closed);
    co_await test::sleep_ms(4000);  // past the lock: the recording gives up
  });
  EXPECT_FALSE(called_after_closed);
}

// close() waits by events, not by polling (issue 17): with nothing running it has
// nothing to wait for, and once it returns every actor of the worker has ended, so the
// event loop runs out of work. The bounds are generous; they only tell an event from
// waiting out the grace period (or a tick of some forgotten loop).
TEST_F(worker_test, close_with_nothing_running_returns_at_once_and_ends_every_actor) {
  using clock = std::chrono::steady_clock;
  net::io_context io;
  std::optional<clock::duration> close_took;
  std::exception_ptr failure;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        worker w(io.get_executor(), name, echo(), wopts());
        w.start();
        co_await test::sleep_ms(300);  // the fetcher is blocked on the marker
        const auto started = clock::now();
        co_await w.close(30s);
        close_took = clock::now() - started;
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run_for(20s);
  if (failure) std::rethrow_exception(failure);
  ASSERT_TRUE(close_took.has_value());
  EXPECT_LT(*close_took, 5s);
  EXPECT_TRUE(io.stopped()) << "something of the worker still runs after close()";
}

// A close while a fetch is in flight (right after start() with jobs waiting, or just after
// an idle worker woke for a new job) waits for the job the fetch takes: it returned at
// once, the job ran on closed connections, recorded nothing and stayed active until its
// lock expired (a new user's review). Whether the fetch has begun varies with each start,
// so a few rounds, each with a job waiting and one added after the worker is idle.
TEST_F(worker_test, a_close_during_a_fetch_leaves_no_job_active) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    std::int64_t added = 0;
    for (int round = 0; round < 4; ++round) {
      co_await q.add("waiting", json::object());
      ++added;
      worker at_start(io.get_executor(), name, sleeping(100), wopts());
      at_start.start();
      co_await at_start.close(30s);

      worker idle(io.get_executor(), name, sleeping(100), wopts());
      idle.start();
      EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "waiting", 0); }));
      co_await test::sleep_ms(200);  // blocked on the marker
      co_await q.add("woken", json::object());
      ++added;
      co_await test::sleep_ms(round);
      co_await idle.close(30s);

      auto c = co_await q.get_job_counts();
      EXPECT_EQ(c["active"], 0) << "round " << round;
      EXPECT_EQ(c["completed"] + c["waiting"], added) << "round " << round;
    }
    q.close();
  });
}

// Destroyed without close() while a job runs: every actor ends, so the executor runs out
// of work (its cancel watcher waited for the running table to empty, and nothing emptied
// it: io_context::run() never returned).
TEST_F(worker_test, destroying_a_worker_with_a_job_running_lets_the_executor_finish) {
  net::io_context io;
  std::exception_ptr failure;
  bool destroyed = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        queue q(io.get_executor(), name, qopts());
        co_await q.add("slow", json::object());
        {
          worker w(io.get_executor(), name, sleeping(5000), wopts());
          w.start();
          EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "active", 1); }));
        }
        destroyed = true;
        q.close();
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run_for(20s);
  if (failure) std::rethrow_exception(failure);
  EXPECT_TRUE(destroyed);
  EXPECT_TRUE(io.stopped()) << "something of the destroyed worker still runs";
}

// A closed worker used to ignore start() and leave its queue's jobs waiting, silently.
TEST_F(worker_test, start_after_close_throws_closed) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    co_await w.close(1s);
    try {
      w.start();
      ADD_FAILURE() << "start() after close() did not throw";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::closed)) << e.what();
    }
    worker never_started(io.get_executor(), name, echo(), wopts());
    co_await never_started.close(1s);
    EXPECT_THROW(never_started.start(), error);
  });
}

TEST_F(worker_test, close_returns_when_the_last_running_job_ends_not_at_the_grace_deadline) {
  using clock = std::chrono::steady_clock;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("slow", json::object());
    worker w(io.get_executor(), name, sleeping(1500), wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "active", 1); }));
    const auto started = clock::now();
    co_await w.close(120s);
    const auto took = clock::now() - started;
    EXPECT_LT(took, 30s);  // the job's end, not the grace of two minutes
    // It ran to its end: completed, not handed back.
    EXPECT_TRUE(co_await counts_are(q, "completed", 1));
    EXPECT_TRUE(co_await counts_are(q, "waiting", 0));
    q.close();
  });
}

// A close's grace can outlast a lock: the locks of the jobs it waits for are renewed
// meanwhile, so another worker's stalled check does not take them and run them again.
TEST_F(worker_test, close_keeps_renewing_the_locks_of_the_jobs_it_waits_for) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("slow", json::object());
    std::atomic<int> runs{0};
    auto counted = processor::async([&runs](job_context&) -> net::awaitable<json::value> {
      ++runs;
      co_await test::sleep_ms(2500);
      co_return true;
    });
    auto o = wopts();
    o.lock_duration = 600ms;
    o.stalled_interval = 200ms;
    worker first(io.get_executor(), name, counted, o);
    first.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "active", 1); }));
    worker second(io.get_executor(), name, counted, o);
    second.start();
    co_await first.close(30s);  // the job's 2.5 s: four locks' worth
    EXPECT_TRUE(co_await counts_are(q, "completed", 1));
    co_await second.close();
    EXPECT_EQ(runs.load(), 1);
    auto j = co_await q.get_job("1");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->stalled_counter, 0);
    EXPECT_EQ(j->attempts_started, 1);
    q.close();
  });
}

// Two close() calls at once (a signal handler and the program's own shutdown): the
// second waits for the first, whose grace applies, and `closed` comes once.
TEST_F(worker_test, a_second_close_waits_for_the_first_and_closed_comes_once) {
  int closed = 0;
  int closed_when_second_returned = -1;
  bool first_returned = false;
  bool second_returned = false;
  bool started = false;
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    started = true;
    co_await test::sleep_ms(800);
    co_return nullptr;
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("slow", json::object());
    worker w(io.get_executor(), name, proc, wopts());
    w.events().closed = [&] { ++closed; };
    w.start();
    // The processor's start, not Redis's active count: that comes before the worker has
    // the job in its running table.
    auto running = [&]() -> net::awaitable<bool> { co_return started; };
    EXPECT_TRUE(co_await eventually(running));
    net::co_spawn(io, w.close(10s), [&](std::exception_ptr) { first_returned = true; });
    net::co_spawn(io, w.close(50ms), [&](std::exception_ptr) {
      second_returned = true;
      closed_when_second_returned = closed;
    });
    auto both_returned = [&]() -> net::awaitable<bool> {
      const bool both = first_returned && second_returned;
      co_return both;
    };
    EXPECT_TRUE(co_await eventually(both_returned));
    EXPECT_EQ(closed, 1);
    EXPECT_EQ(closed_when_second_returned, 1);  // it returned once the first had finished
    // The first's grace let the job end: completed, not handed back by the second.
    EXPECT_TRUE(co_await counts_are(q, "completed", 1));
    EXPECT_TRUE(co_await counts_are(q, "waiting", 0));
    q.close();
  });
}

// A worker destroyed without close() tells its running processors to stop, as close()
// past its grace does (cancellation::shutdown); it cannot wait to hand their jobs back,
// which the stalled check does later.
TEST_F(worker_test, destroying_a_started_worker_stops_its_running_processor) {
  std::atomic<cancellation> seen{cancellation::none};
  std::atomic<bool> started{false};
  std::atomic<bool> ended{false};
  auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    started = true;
    try {
      co_await test::sleep_ms(5000);
    } catch (const boost::system::system_error&) {
      // the stop cancels the wait
    }
    seen = ctx.cancel_reason();
    ended = true;
    co_return nullptr;
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("slow", json::object());
    {
      worker w(io.get_executor(), name, proc, wopts());
      w.start();
      auto running = [&]() -> net::awaitable<bool> { co_return started.load(); };
      EXPECT_TRUE(co_await eventually(running));
    }
    auto processor_ended = [&]() -> net::awaitable<bool> { co_return ended.load(); };
    EXPECT_TRUE(co_await eventually(processor_ended, 2s));
    EXPECT_EQ(seen.load(), cancellation::shutdown);
    q.close();
  });
}

// The same for a blocking processor: it sees cancelled(), so the destructor's wait for
// the thread pool ends at its next check rather than at the end of its work.
TEST_F(worker_test, destroying_a_started_worker_stops_its_blocking_processor) {
  using clock = std::chrono::steady_clock;
  std::atomic<cancellation> seen{cancellation::none};
  std::atomic<bool> started{false};
  auto proc = processor::blocking([&](blocking_job_context& ctx) -> json::value {
    started = true;
    const auto end = clock::now() + 5s;
    while (clock::now() < end && !ctx.cancelled()) std::this_thread::sleep_for(5ms);
    seen = ctx.cancel_reason();
    return nullptr;
  });
  std::optional<clock::duration> destroying_took;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("spin", json::object());
    auto w = std::make_unique<worker>(io.get_executor(), name, proc, wopts());
    w->start();
    auto running = [&]() -> net::awaitable<bool> { co_return started.load(); };
    EXPECT_TRUE(co_await eventually(running));
    const auto started = clock::now();
    w.reset();
    destroying_took = clock::now() - started;
    q.close();
  });
  ASSERT_TRUE(destroying_took.has_value());
  EXPECT_LT(*destroying_took, 2s);
  EXPECT_EQ(seen.load(), cancellation::shutdown);
}

TEST_F(worker_test, remove_on_complete_keeps_the_newest) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"removeOnComplete":2})"));
    for (int i = 0; i < 5; ++i) co_await q.add("k", json::object(), opts);
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return w.processed() == 5; }));
    co_await w.close();
    EXPECT_TRUE(co_await counts_are(q, "completed", 2));
    EXPECT_FALSE((co_await q.get_job("1")).has_value());
    EXPECT_TRUE((co_await q.get_job("5")).has_value());
    q.close();
  });
}

TEST_F(worker_test, a_job_timeout_fails_the_attempt_and_stops_the_processor) {
  std::atomic<int> noticed{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"timeout":200,"attempts":2})"));
    co_await q.add("slow", json::object(), opts);
    co_await q.add("cpu", json::object(), opts);
    // An async processor waiting on a timer (cancelled at the timeout) and a blocking
    // one polling cancelled().
    auto async_proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
      if (ctx.job().name == "slow") {
        bool aborted = false;
        try {
          co_await test::sleep_ms(5000);
        } catch (const boost::system::system_error&) {
          aborted = true;
        }
        if (aborted && ctx.cancelled()) ++noticed;
        co_return nullptr;
      }
      co_return nullptr;
    });
    auto o = wopts();
    o.concurrency = 2;
    worker w(io.get_executor(), name, async_proc, o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "failed", 1); }));
    co_await w.close();
    auto j = co_await q.get_job("1");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->failed_reason, "job timed out after 200 ms");
    EXPECT_EQ(j->attempts_made, 2);  // the timeout is an ordinary failure: the job retried
    EXPECT_EQ(co_await q.get_job_state("2"), job_state::completed);
    q.close();
  });
  EXPECT_EQ(noticed.load(), 2);

  auto cpu_queue = test::suite_queue_name("timeout-cpu");
  std::atomic<bool> stopped_early{false};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), cpu_queue, qopts());
    auto opts = job_options::from_json(json::parse(R"({"timeout":200})"));
    co_await q.add("spin", json::object(), opts);
    auto proc = processor::blocking([&](blocking_job_context& ctx) -> json::value {
      auto until = std::chrono::steady_clock::now() + 5s;
      while (std::chrono::steady_clock::now() < until) {
        if (ctx.cancelled()) {
          stopped_early = true;
          break;
        }
      }
      return nullptr;
    });
    worker w(io.get_executor(), cpu_queue, proc, wopts());
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "failed", 1); }));
    co_await w.close();
    q.close();
  });
  EXPECT_TRUE(stopped_early.load());
}

TEST_F(worker_test, keeps_bullmq_metrics_when_asked) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    co_await q.add("m", json::object());
    co_await q.add("m", json::object());
    auto o = wopts();
    o.metrics_max_data_points = 10;
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 2); }));
    co_await w.close();
    q.close();
  });
  EXPECT_EQ(cli("HGET " + key("metrics:completed") + " count"), "2");
  EXPECT_EQ(cli("EXISTS " + key("metrics:failed")), "0");
}

TEST_F(worker_test, survives_a_redis_restart_without_losing_jobs) {
  DROVER_SKIP_ON_CLUSTER("stops and restarts a redis-server of its own");
  redis_server own(true);  // AOF on: accepted jobs survive the restart
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, queue_options{"bull", own.options()});
    for (int i = 0; i < 30; ++i) co_await q.add("j", json::object());
    auto o = wopts();
    o.redis = own.options();
    o.concurrency = 2;
    worker w(io.get_executor(), name, sleeping(30), o);
    w.start();
    EXPECT_TRUE(co_await eventually([&] { return counts_at_least(q, "completed", 5); }, 5s));
    own.stop();
    co_await test::sleep_ms(300);
    own.start();
    EXPECT_TRUE(co_await eventually(
        [&]() -> net::awaitable<bool> {
          try {
            co_return co_await counts_are(q, "completed", 30);
          } catch (const drover::error&) {
            co_return false;
          }
        },
        30s));
    co_await w.close();
    q.close();
  });
}

// An idle worker backs off while Redis is away, no longer than the connection's
// reconnect_max (it was 5 s whatever that said), says when Redis answers again, and
// does not log every back-off while it is away (it logged 14 warnings in 7 s).
TEST_F(worker_test, an_idle_worker_fetches_within_reconnect_max_of_redis_returning_and_says_so) {
  DROVER_SKIP_ON_CLUSTER("stops and restarts a redis-server of its own");
  redis_server own(true);
  test::captured_log log;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto qo = queue_options{"bull", own.options()};
    queue q(io.get_executor(), name, qo);
    auto o = wopts();
    o.redis = own.options();
    o.redis.reconnect_max = 500ms;
    worker w(io.get_executor(), name, echo(), o);
    w.start();
    auto first = json::value(1);
    co_await q.add("one", first);
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 1); }));
    own.stop();
    // Long enough for a back-off doubling from 100 ms to pass 3 s.
    co_await test::sleep_ms(7000);
    own.start();
    const auto back = std::chrono::steady_clock::now();
    auto second = json::value(2);
    co_await q.add("two", second);
    EXPECT_TRUE(co_await eventually([&] { return counts_are(q, "completed", 2); }, 10s));
    EXPECT_LT(std::chrono::steady_clock::now() - back, 3s);
    co_await w.close();
    q.close();
  });
  EXPECT_EQ(log.count("fetching resumed"), 1) << log.text();
  EXPECT_EQ(log.count("until Redis answers again"), 1) << log.text();
  EXPECT_EQ(log.count("still failing"), 0) << log.text();
}

}  // namespace
}  // namespace drover
