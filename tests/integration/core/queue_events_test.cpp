// queue_events_test.cpp - following the events stream, typed payloads, resuming after an outage.
#include <drover/queue.hpp>
#include <drover/queue_events.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "support/engine_test.hpp"
#include "support/redis_server.hpp"
#include "support/suite_cluster.hpp"

namespace drover {
namespace {

using test::redis_server;

queue_events_options events_options(const redis_options& redis) {
  queue_events_options o;
  o.redis = redis;
  o.block = 200ms;
  return o;
}

// A new user's review: block = 0 (Redis's "for ever") timed out after 11 s and dropped
// the connection; a negative one met Redis's raw refusal.
TEST(queue_events, refuses_a_block_redis_would_not_end_or_take) {
  net::io_context io;
  for (const auto block : {0ms, -5ms}) {
    auto o = events_options(test::suite_redis_options());
    o.block = block;
    try {
      queue_events events(io.get_executor(), "q", o);
      ADD_FAILURE() << "block " << block.count() << " ms was taken";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_NE(std::string(e.what()).find("at least 1 ms"), std::string::npos) << e.what();
    }
  }
}

TEST(queue_events, delivers_a_jobs_events_in_order_with_typed_payloads) {
  const auto redis = test::suite_redis_options();
  auto name = test::suite_queue_name("events-test");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_events events(io.get_executor(), name, events_options(redis));
    co_await events.wait_until_ready();  // "now" fixed: the add below is among the events read
    queue q(io.get_executor(), name, queue_options{"bull", redis});
    co_await q.add("e", json::object());
    worker_options wo;
    wo.redis = redis;
    wo.drain_delay = 200ms;
    auto proc = processor::async([](job_context& ctx) -> net::awaitable<json::value> {
      co_await ctx.update_progress(50);
      co_return json::parse(R"({"ok":true})");
    });
    worker w(io.get_executor(), name, proc, wo);
    w.start();
    std::vector<queue_event> seen;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline &&
           std::none_of(seen.begin(), seen.end(), [](auto& e) { return e.event == "completed"; })) {
      for (auto& e : co_await events.next()) seen.push_back(std::move(e));
    }
    co_await w.close();
    std::vector<std::string> names;
    for (const auto& e : seen) names.push_back(e.event);
    std::vector<std::string> expected{"added", "waiting", "active", "progress", "completed"};
    DROVER_CO_ASSERT_TRUE(names.size() >= expected.size());
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 5), expected);
    EXPECT_EQ(seen[0].job_id, "1");
    EXPECT_EQ(seen[3].fields.at("data"), json::value(50));
    EXPECT_EQ(seen[4].fields.at("returnvalue"), json::parse(R"({"ok":true})"));
    EXPECT_EQ(seen[4].fields.at("prev"), json::value("active"));
    events.close();
    q.close();
  });
}

TEST(queue_events, resumes_from_the_last_event_after_an_outage) {
  DROVER_SKIP_ON_CLUSTER("stops and restarts a redis-server of its own");
  redis_server server(true);
  auto name = test::unique_queue("events-resume");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue_events events(io.get_executor(), name, events_options(server.options()));
    queue q(io.get_executor(), name, queue_options{"bull", server.options()});
    co_await events.next();
    co_await q.add("a", json::object());
    std::vector<std::string> ids;
    while (ids.size() < 2) {
      for (auto& e : co_await events.next()) ids.push_back(e.job_id);
    }
    server.stop();
    bool failed = false;
    try {
      co_await events.next();
    } catch (const error& e) {
      failed = e.is(errc::redis_unavailable);
    }
    EXPECT_TRUE(failed);
    server.start();
    // Added while the reader was away: it must still see it.
    std::string added;
    for (int i = 0; i < 100 && added.empty(); ++i) {
      try {
        co_await q.add("b", json::object());
        added = "yes";
      } catch (const error&) {
      }
      if (added.empty()) co_await test::sleep_ms(50);
    }
    std::vector<queue_event> after;
    for (int i = 0; i < 100 && after.size() < 2; ++i) {
      try {
        for (auto& e : co_await events.next()) after.push_back(std::move(e));
      } catch (const error&) {
      }
    }
    DROVER_CO_ASSERT_TRUE(after.size() >= 2);
    EXPECT_EQ(after[0].event, "added");
    EXPECT_EQ(after[0].job_id, "2");
    events.close();
    q.close();
  });
}

// An operator's client-output-buffer-limit of 1 MB closed every read of a backlog bigger
// than that (an API reading answers' progress from the stream's start), again and again.
// Reads are bounded, and halved after a lost connection until one fits.
TEST(queue_events, reads_a_backlog_bigger_than_the_output_buffer_limit) {
  DROVER_SKIP_ON_CLUSTER("sets a limit on a redis-server of its own");
  redis_server server;
  auto name = test::unique_queue("events-backlog");
  // 300 entries of 4 KiB: 1.2 MB in one reply, over a 512 kB hard limit.
  server.cli(
      "EVAL \"for i = 1, 300 do redis.call('XADD', KEYS[1], '*', 'event', 'progress', 'jobId', i, 'data', "
      "string.rep('x', 4096)) end\" 1 bull:" +
      name + ":events");
  server.cli("CONFIG SET client-output-buffer-limit \"normal 512kb 0 0\"");
  std::size_t read = 0;
  int lost = 0;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto o = events_options(server.options());
    o.last_event_id = "0";
    queue_events events(io.get_executor(), name, o);
    for (int tries = 0; tries < 50 && read < 300; ++tries) {
      bool failed = false;
      try {
        auto batch = co_await events.next();
        read += batch.size();
      } catch (const error& e) {
        EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
        failed = true;
        ++lost;
      }
      if (failed) co_await test::sleep_ms(100);  // as a reader waits after a failure
    }
    events.close();
  });
  EXPECT_EQ(read, 300u);  // asking for the same reply again would have failed for ever
  EXPECT_GE(lost, 1);     // the first read (up to 1,000 entries) was over the limit
}

}  // namespace
}  // namespace drover
