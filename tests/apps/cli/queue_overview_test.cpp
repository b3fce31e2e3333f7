// queue_overview_test.cpp - `drover queue list` and `drover top` read every queue under a
// prefix from a real redis-server: names, counts, paused, workers and their slots, a
// sharded queue as a logical row and its shards' (drover_app/queue_overview.hpp, which
// the dashboard shares); and the frame they print.
#include "queue_overview.hpp"

#include <gtest/gtest.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <drover/sharded_queue.hpp>
#include <drover/worker.hpp>

#include "support/async.hpp"
#include "support/redis_server.hpp"
#include "top_command.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover::cli {
namespace {

// A Node user's review: a queue whose workers stopped at 10:33 still showed its last busy
// minute (90 a minute) at 10:39. BullMQ's metrics record a minute only when a job ends
// in a later one; the minutes since the last counted job are read from its meta.
TEST(last_whole_minute, is_the_newest_point_then_the_minute_just_ended_then_none) {
  constexpr std::int64_t minute = 60000;
  queue_metrics m;
  m.data = {90, 80};               // the minute before the last counted job's: 90
  m.prev_ts = 100 * minute + 500;  // the first job counted in minute 100
  m.prev_count = 1000;
  m.count = 1012;                                                  // 12 counted in minute 100
  EXPECT_EQ(app::last_whole_minute(m, 100 * minute + 30000), 90);  // minute 100 goes on
  EXPECT_EQ(app::last_whole_minute(m, 101 * minute + 10), 12);     // minute 100 just ended
  EXPECT_EQ(app::last_whole_minute(m, 102 * minute), 0);           // idle since
  EXPECT_EQ(app::last_whole_minute(m, 106 * minute), 0);
}

class queue_overview_test : public ::testing::Test {
 protected:
  test::redis_server& server = test::redis_server::shared();
  std::string prefix = test::unique_queue("cli-overview");

  common_options where() const {
    common_options c;
    c.prefix = prefix;
    c.redis_url = server.url();
    return c;
  }
  queue_options qopts() const { return queue_options{prefix, server.options()}; }
};

const queue_overview* find(const std::vector<queue_overview>& all, const std::string& name) {
  for (const auto& o : all) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

TEST_F(queue_overview_test, reads_every_queue_with_counts_paused_and_workers) {
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue orders(io.get_executor(), "orders", qopts());
    queue reports(io.get_executor(), "reports", qopts());
    boost::json::value data = boost::json::object();
    co_await orders.add("o", data);
    co_await orders.add("o", data);
    job_options later;
    later.delay = 60'000;
    co_await reports.add("r", data, later);
    co_await reports.pause();

    // A drover worker on orders that holds both its jobs while we look.
    worker_options wo;
    wo.prefix = prefix;
    wo.redis = server.options();
    wo.concurrency = 3;
    wo.heartbeat_interval = 100ms;
    wo.drain_delay = 200ms;
    auto hold = processor::async([](job_context&) -> net::awaitable<boost::json::value> {
      net::steady_timer t(co_await net::this_coro::executor, 30s);
      boost::system::error_code ec;
      auto token = net::redirect_error(net::use_awaitable, ec);
      co_await t.async_wait(token);
      co_return nullptr;
    });
    worker w(io.get_executor(), "orders", hold, wo);
    w.start();

    overview_reader reader(io.get_executor(), where());
    std::vector<queue_overview> seen;
    auto both_jobs_running = [&]() -> net::awaitable<bool> {
      seen = co_await reader.read();
      auto* o = find(seen, "orders");
      co_return o && o->workers >= 1 && o->busy == 2 && o->concurrency == 3;
    };
    bool settled = co_await test::eventually(both_jobs_running);
    EXPECT_TRUE(settled);
    DROVER_CO_ASSERT_TRUE(seen.size() == 2u);
    EXPECT_EQ(seen[0].name, "orders");
    EXPECT_EQ(seen[1].name, "reports");
    EXPECT_FALSE(seen[0].paused);
    EXPECT_EQ(seen[0].count("active") + seen[0].count("waiting"), 2);
    EXPECT_TRUE(seen[1].paused);
    EXPECT_EQ(seen[1].count("delayed"), 1);
    EXPECT_EQ(seen[1].workers, 0u);
    EXPECT_FALSE(seen[1].completed_per_minute.has_value()) << "no metrics kept";

    auto j = seen[1].to_json();
    EXPECT_EQ(j.at("name").as_string(), "reports");
    EXPECT_TRUE(j.at("paused").as_bool());
    EXPECT_TRUE(j.at("completedPerMinute").is_null());

    reader.close();
    co_await w.close(0ms);
    orders.close();
    reports.close();
  });
}

// A scale-out review: a queue whose workers keep metrics and that never failed a job has
// no metrics:failed key yet (BullMQ makes it at the first failure), and read "failed per
// minute: null", which says no metrics are kept.
TEST_F(queue_overview_test, a_queue_that_keeps_metrics_and_never_failed_fails_none_a_minute) {
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue kept(io.get_executor(), "kept", qopts());
    boost::json::value data = boost::json::object();
    co_await kept.add("k", data);
    worker_options wo;
    wo.prefix = prefix;
    wo.redis = server.options();
    wo.drain_delay = 200ms;
    wo.metrics_max_data_points = 60;
    auto done = processor::async([](job_context&) -> net::awaitable<boost::json::value> { co_return nullptr; });
    worker w(io.get_executor(), "kept", done, wo);
    w.start();
    overview_reader reader(io.get_executor(), where());
    std::vector<queue_overview> seen;
    auto completed = [&]() -> net::awaitable<bool> {
      seen = co_await reader.read();
      auto* o = find(seen, "kept");
      co_return o && o->count("completed") == 1 && o->completed_per_minute.has_value();
    };
    EXPECT_TRUE(co_await test::eventually(completed));
    auto* o = find(seen, "kept");
    DROVER_CO_ASSERT_TRUE(o != nullptr);
    EXPECT_EQ(o->failed_per_minute, std::optional<std::int64_t>(0));
    reader.close();
    co_await w.close(0ms);
    kept.close();
  });
}

TEST_F(queue_overview_test, groups_a_sharded_queue_into_a_logical_row_followed_by_its_shards) {
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    sharded_queue mail(io.get_executor(), "mail", 3, qopts());
    queue legacy(io.get_executor(), "mail", qopts());  // the plain queue used before sharding
    boost::json::value data = boost::json::object();
    for (int n = 0; n < 6; ++n) {
      // Named first: no temporaries inside a co_await (GCC 12).
      auto add = mail.add("m", data, {}, "user-" + std::to_string(n % 3));
      co_await std::move(add);
    }
    job_options later;
    later.delay = 60'000;
    auto add_later = mail.add("later", data, later);
    co_await std::move(add_later);
    auto add_old = legacy.add("old", data);
    co_await std::move(add_old);
    co_await mail.shard(1).pause();

    overview_reader reader(io.get_executor(), where());
    auto seen = co_await reader.read();
    DROVER_CO_ASSERT_TRUE(seen.size() == 5u);
    EXPECT_EQ(seen[0].name, "mail");
    EXPECT_TRUE(seen[0].shards.empty()) << "the plain queue keeps its own row";
    EXPECT_EQ(seen[0].count("waiting"), 1);
    const auto& logical = seen[1];
    EXPECT_EQ(logical.name, "mail");
    EXPECT_EQ(logical.shards, shard_names("mail", 3));
    EXPECT_EQ(logical.count("waiting") + logical.count("paused"), 6) << "the shards' sum, not the plain queue's";
    EXPECT_EQ(logical.count("delayed"), 1);
    EXPECT_FALSE(logical.paused) << "paused only when every shard is";
    EXPECT_EQ(seen[0].key(), "mail");
    EXPECT_EQ(logical.key(), "mail (3 shards)") << "a key apart from the plain queue's";
    std::int64_t waiting = 0;
    for (std::size_t s = 0; s < 3; ++s) {
      const auto& shard = seen[2 + s];
      EXPECT_EQ(shard.name, mail.shard(s).name());
      EXPECT_EQ(shard.shard_of, "mail");
      EXPECT_EQ(shard.paused, s == 1);
      waiting += shard.count("waiting") + shard.count("paused");
    }
    EXPECT_EQ(waiting, 6);

    auto j = logical.to_json();
    EXPECT_EQ(j.at("shards").as_array().size(), 3u);
    EXPECT_FALSE(j.contains("shardOf"));
    EXPECT_EQ(seen[2].to_json().at("shardOf").as_string(), "mail");
    EXPECT_FALSE(seen[0].to_json().contains("shards"));

    reader.close();
    mail.close();
    legacy.close();
  });
}

TEST_F(queue_overview_test, prints_a_frame_without_terminal_codes) {
  queue_overview a;
  a.name = "emails";
  a.counts = {{"waiting", 4}, {"paused", 1}, {"active", 2}, {"completed", 10}, {"failed", 1}};
  a.workers = 2;
  a.busy = 2;
  a.concurrency = 8;
  a.completed_per_minute = 12;
  queue_overview b;
  b.name = "slow";
  b.paused = true;
  std::map<std::string, measured_rate> rates{{"slow", {30.4, 0}}};
  auto frame = render_top_frame({a, b}, "bull", "127.0.0.1:6379", 1'700'000'000'000, rates);
  EXPECT_EQ(
      frame,
      "drover top - redis 127.0.0.1:6379 - prefix bull - 2 queue(s) - 2023-11-14 22:13:20 UTC\n"
      "\n"
      "QUEUE   STATUS   WAITING  PRIORITIZED  DELAYED  ACTIVE  COMPLETED  FAILED  WORKERS  BUSY  DONE/MIN  FAILED/MIN\n"
      "emails  running        5            0        0       2         10       1        2   2/8        12           -\n"
      "slow    paused         0            0        0       0          0       0        0     -        30           "
      "0\n");
  EXPECT_EQ(render_top_frame({}, "bull", "h:1", 0, {}),
            "drover top - redis h:1 - prefix bull - 0 queue(s) - - UTC\n\nno queues yet\n");
}

// An operator's review: on a terminal shorter than the table, every redraw scrolled the
// title and the header away; lines wider than it wrapped into the next row.
TEST(fit_frame, keeps_the_top_of_a_tall_frame_says_what_is_cut_and_cuts_wide_lines_whole) {
  EXPECT_EQ(fit_frame("a\nb\nc\n", 0, 0), "a\nb\nc\n");
  EXPECT_EQ(fit_frame("a\nb\nc\n", 3, 0), "a\nb\nc\n");
  EXPECT_EQ(fit_frame("a\nb\nc\nd\n", 3, 0),
            "a\nb\n... 2 more lines: a taller terminal shows them, drover queue list prints them all\n");
  EXPECT_EQ(fit_frame("abcdef\nxy\n", 0, 4), "abcd\nxy\n");
  // "é" and "✓" are one column each, cut before or after, never inside.
  EXPECT_EQ(fit_frame("\u00e9\u00e9\u2713z\n", 0, 3), "\u00e9\u00e9\u2713\n");
  EXPECT_EQ(fit_frame("a\nb\nc\n", 2, 5), "a\n... 2\n");
  // A wide character takes two columns: four fit in eight (an i18n review's lines ran over).
  EXPECT_EQ(fit_frame("日本語のキュー\n", 0, 8), "日本語の\n");
}

}  // namespace
}  // namespace drover::cli
