// deduplication_test.cpp - BullMQ's `deduplication` option against Redis: which add makes a
// job, what the key and the events say, and when the id is released.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

class deduplication_test : public test::queue_fixture {
 protected:
  deduplication_test() : queue_fixture("dedup-test") {}

  static job_options dedup(const char* spec) {
    job_options o;
    o.deduplication = json::parse(spec).as_object();
    return o;
  }
};

TEST_F(deduplication_test, a_held_id_returns_the_holding_job_and_emits_deduplicated) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = dedup(R"({"id":"report-42"})");
    json::value first_data = json::parse(R"({"n":1})");
    json::value second_data = json::parse(R"({"n":2})");
    auto a = co_await q.add("report", first_data, opts);
    auto b = co_await q.add("report", second_data, opts);
    EXPECT_EQ(a.id, b.id);
    auto holder = co_await q.get_deduplication_job_id("report-42");
    EXPECT_EQ(holder, a.id);
    auto none = co_await q.get_deduplication_job_id("nobody");
    EXPECT_FALSE(none.has_value());
    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["waiting"], 1);
    auto stored = co_await q.get_job(a.id);
    DROVER_CO_ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->data, first_data);  // the second add changed nothing
    EXPECT_EQ(stored->deduplication_id, "report-42");
    q.close();
  });
  EXPECT_EQ(cli("GET " + key("de:report-42")), "1");
  EXPECT_EQ(cli("HGET " + key("1") + " deid"), "report-42");
  auto events = cli("XRANGE " + key("events") + " - +");
  EXPECT_NE(events.find("deduplicated"), std::string::npos) << events;
  EXPECT_NE(events.find("deduplicationId"), std::string::npos) << events;
}

TEST_F(deduplication_test, a_ttl_holds_the_id_for_that_long_only) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = dedup(R"({"id":"t","ttl":300})");
    json::value data = nullptr;
    auto a = co_await q.add("x", data, opts);
    auto b = co_await q.add("x", data, opts);
    EXPECT_EQ(a.id, b.id);
    co_await test::sleep_ms(450);
    auto c = co_await q.add("x", data, opts);
    EXPECT_NE(c.id, a.id);
    q.close();
  });
  auto ttl = std::stoll(cli("PTTL " + key("de:t")));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 300);
}

TEST_F(deduplication_test, finishing_the_holding_job_releases_the_id) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto wo = wopts();
    auto proc = processor::async([](job_context&) -> net::awaitable<json::value> { co_return json::value("done"); });
    auto opts = dedup(R"({"id":"once-at-a-time"})");
    json::value data = nullptr;
    auto a = co_await q.add("x", data, opts);
    worker w(io.get_executor(), name, proc, wo);
    w.start();
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> {
      auto c = co_await q.get_job_counts();
      co_return c["completed"] == 1;
    }));
    auto holder = co_await q.get_deduplication_job_id("once-at-a-time");
    EXPECT_FALSE(holder.has_value());
    auto b = co_await q.add("x", data, opts);
    EXPECT_NE(a.id, b.id);
    co_await w.close();
    q.close();
  });
}

TEST_F(deduplication_test, removing_the_key_lets_the_next_add_through) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = dedup(R"({"id":"k"})");
    json::value data = nullptr;
    auto a = co_await q.add("x", data, opts);
    EXPECT_TRUE(co_await q.remove_deduplication_key("k"));
    EXPECT_FALSE(co_await q.remove_deduplication_key("k"));
    auto b = co_await q.add("x", data, opts);
    EXPECT_NE(a.id, b.id);
    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["waiting"], 2);
    q.close();
  });
}

TEST_F(deduplication_test, replace_swaps_a_delayed_holder_for_the_newer_job) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto opts = dedup(R"({"id":"debounced","ttl":5000,"extend":true,"replace":true})");
    opts.delay = 5000;
    json::value first_data = json::parse(R"({"v":1})");
    json::value second_data = json::parse(R"({"v":2})");
    auto a = co_await q.add("x", first_data, opts);
    auto b = co_await q.add("x", second_data, opts);
    EXPECT_NE(a.id, b.id);
    auto old = co_await q.get_job(a.id);
    EXPECT_FALSE(old.has_value());
    auto holder = co_await q.get_deduplication_job_id("debounced");
    EXPECT_EQ(holder, b.id);
    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["delayed"], 1);
    q.close();
  });
}

}  // namespace
}  // namespace drover
