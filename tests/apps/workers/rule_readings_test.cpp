// rule_readings_test.cpp - alert rules on a sharded app queue, evaluated against a private
// redis-server: one on the queue's name judges its shards together (backlog and dead
// letters summed, no_worker when one shard has none), one on a shard's name that shard
// alone. What they say is read from the messages the evaluator queues on webhook-delivery.
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <drover/clock.hpp>
#include <drover/dead_letter_queue.hpp>
#include <drover/queue.hpp>
#include <drover/shard_names.hpp>
#include <drover/worker.hpp>
#include <drover_app/app_queue.hpp>
#include <drover_app/queue_shards.hpp>

#include "support/async.hpp"
#include "support/redis_server.hpp"
#include "workers/alerts/alert_evaluator.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace drover {
namespace {

using test::eventually;
using test::run_async;

// A Workers app's alerts under a prefix of their own, so that the app queues' names are free.
struct alerts_fixture {
  alerts_fixture(net::any_io_executor ex, app::queue_shards shards, const std::string& rules)
      : qo{test::unique_queue("alerts"), test::redis_server::shared().options()},
        webhooks(ex, "webhook-delivery", 0, qo) {
    workers::alert_settings s;
    s.rules = workers::parse_alert_rules(rules);
    s.webhook_url = "http://127.0.0.1:9/hook";  // the messages are queued, never sent here
    s.interval = 100ms;
    evaluator = std::make_unique<workers::alert_evaluator>(ex, s, qo, shards, webhooks, "test:1");
  }

  // The texts of the messages queued so far.
  net::awaitable<std::vector<std::string>> messages() {
    queue q(co_await net::this_coro::executor, "webhook-delivery", qo);
    std::vector<std::string> types{"waiting"};
    auto jobs = co_await q.get_jobs(std::move(types));
    q.close();
    std::vector<std::string> out;
    for (const auto& j : jobs) out.emplace_back(j.data.at("payload").at("text").as_string());
    std::sort(out.begin(), out.end());
    co_return out;
  }

  // Waits until `count` messages are queued, then a few more evaluations (for any message
  // that should not come), and returns them all.
  net::awaitable<std::vector<std::string>> wait_for(std::size_t count) {
    auto enough = [&]() -> net::awaitable<bool> {
      auto seen = co_await messages();
      co_return seen.size() >= count;
    };
    EXPECT_TRUE(co_await eventually(enough, 10s));
    co_await test::sleep_ms(500);
    co_return co_await messages();
  }

  // Adds a job, dated `timestamp` (epoch ms) when given; returns its id.
  net::awaitable<std::string> add_to(const std::string& queue_name, std::optional<std::int64_t> timestamp = {}) {
    queue q(co_await net::this_coro::executor, queue_name, qo);
    std::string name = "j";
    json::value data = json::object{};
    job_options opts;
    opts.timestamp = timestamp;
    auto added = co_await q.add(std::move(name), std::move(data), std::move(opts));
    q.close();
    co_return added.id;
  }

  void stop() {
    evaluator->stop();
    webhooks.close();
  }

  queue_options qo;
  app::app_queue webhooks;
  std::unique_ptr<workers::alert_evaluator> evaluator;
};

TEST(rule_readings, a_backlog_is_summed_over_the_shards_and_a_shard_rule_reads_its_own) {
  run_async([](net::io_context& io) -> net::awaitable<void> {
    const auto shard = shard_names("ai-processing", 3);
    alerts_fixture f(io.get_executor(), app::queue_shards{3, 0, 0},
                     R"([{"type": "waiting", "queue": "ai-processing", "threshold": 2, "name": "Backlog"},
                         {"type": "waiting", "queue": ")" +
                         shard[1] + R"(", "threshold": 1, "name": "Shard backlog"}])");
    for (const auto& s : shard) co_await f.add_to(s);
    f.evaluator->start();
    // Three jobs over the three shards: only the sum is above 2; shard 1 alone holds 1.
    auto seen = co_await f.wait_for(1);
    f.stop();
    DROVER_CO_ASSERT_TRUE(seen.size() == 1u);
    EXPECT_EQ(seen[0], "[FIRING] Backlog (queue ai-processing): 3 jobs waiting, over its 3 shards (threshold 2)");
  });
}

TEST(rule_readings, a_shard_rule_judges_that_shard_alone) {
  run_async([](net::io_context& io) -> net::awaitable<void> {
    const auto shard = shard_names("ai-processing", 2);
    alerts_fixture f(io.get_executor(), app::queue_shards{2, 0, 0},
                     R"([{"type": "waiting", "queue": ")" + shard[1] + R"(", "threshold": 1, "name": "Shard"}])");
    co_await f.add_to(shard[0]);
    co_await f.add_to(shard[1]);
    co_await f.add_to(shard[1]);
    f.evaluator->start();
    auto seen = co_await f.wait_for(1);
    f.stop();
    DROVER_CO_ASSERT_TRUE(seen.size() == 1u);
    EXPECT_EQ(seen[0], "[FIRING] Shard (queue " + shard[1] + "): 2 jobs waiting (threshold 1)");
  });
}

TEST(rule_readings, dead_letters_are_summed_and_one_shard_without_a_worker_fires) {
  run_async([](net::io_context& io) -> net::awaitable<void> {
    const auto shard = shard_names("webhook-delivery", 2);
    alerts_fixture f(io.get_executor(), app::queue_shards{0, 0, 2},
                     R"([{"type": "dead_letter_growing", "queue": "webhook-delivery", "name": "Letters"},
                         {"type": "no_worker", "queue": "webhook-delivery", "name": "Lonely"}])");
    // A worker on shard 0 only: shard 1's jobs would wait for ever.
    worker_options wo;
    wo.prefix = f.qo.prefix;
    wo.redis = f.qo.redis;
    worker w(io.get_executor(), shard[0],
             processor::async([](job_context&) -> net::awaitable<json::value> { co_return nullptr; }), wo);
    w.start();
    // Connected before the first evaluation, which names the shards without one.
    queue first(io.get_executor(), shard[0], f.qo);
    auto connected = [&]() -> net::awaitable<bool> { co_return !(co_await first.get_workers()).empty(); };
    EXPECT_TRUE(co_await eventually(connected, 10s));
    first.close();
    f.evaluator->start();
    co_await test::sleep_ms(300);  // the dead letters' first size, the baseline
    co_await f.add_to(dead_letter_queue::name_for(shard[1]));
    auto seen = co_await f.wait_for(2);
    f.stop();
    co_await w.close();
    DROVER_CO_ASSERT_TRUE(seen.size() == 2u);
    EXPECT_EQ(seen[0],
              "[FIRING] Letters (queue webhook-delivery): the dead-letter queues of its 2 shard(s) gained 1 job(s) "
              "in the last 5 min");
    EXPECT_EQ(seen[1],
              "[FIRING] Lonely (queue webhook-delivery): no worker connected to " + shard[1] + ", over its 2 shards");
  });
}

// At DEAD_LETTERS_KEPT each new entry trims the oldest, so the queue's size stays put: the
// rule compared sizes and never fired again. It counts the entries of its window.
TEST(rule_readings, a_dead_letter_queue_at_its_cap_still_fires_for_a_new_entry) {
  run_async([](net::io_context& io) -> net::awaitable<void> {
    alerts_fixture f(io.get_executor(), app::queue_shards{},
                     R"([{"type": "dead_letter_growing", "queue": "webhook-delivery", "windowSeconds": 60,
                          "name": "Letters"}])");
    const auto dlq = dead_letter_queue::name_for("webhook-delivery");
    const auto an_hour_ago = now_ms() - 3'600'000;
    const auto oldest = co_await f.add_to(dlq, an_hour_ago);
    co_await f.add_to(dlq, an_hour_ago);
    f.evaluator->start();
    co_await test::sleep_ms(500);  // old entries only: nothing to say
    auto before = co_await f.messages();
    EXPECT_TRUE(before.empty()) << before.front();
    // The cap at work: one out, one in.
    queue q(io.get_executor(), dlq, f.qo);
    auto removed = co_await q.remove(oldest);
    EXPECT_TRUE(removed);
    q.close();
    co_await f.add_to(dlq);
    auto seen = co_await f.wait_for(1);
    f.stop();
    DROVER_CO_ASSERT_TRUE(seen.size() == 1u);
    EXPECT_EQ(seen[0], "[FIRING] Letters (queue webhook-delivery): dead-letter queue " + dlq +
                           " gained 1 job(s) in the last 60 s");
  });
}

}  // namespace
}  // namespace drover
