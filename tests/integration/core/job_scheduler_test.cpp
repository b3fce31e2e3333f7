// job_scheduler_test.cpp - job schedulers against Redis: what an upsert stores, a worker
// keeping the schedule going, remove, limit and end date, and refused options.
#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <set>

#include "core/clock.hpp"
#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"

namespace drover {
namespace {

class job_scheduler_test : public test::queue_fixture {
 protected:
  job_scheduler_test() : queue_fixture("scheduler-test") {}
  static processor echo() {
    return processor::async([](job_context& ctx) -> net::awaitable<json::value> { co_return ctx.job().data; });
  }
  static repeat_options every(std::int64_t ms) {
    repeat_options r;
    r.every = ms;
    return r;
  }
  net::awaitable<std::int64_t> completed(queue& q) {
    auto c = co_await q.get_job_counts();
    co_return c["completed"];
  }
};

TEST_F(job_scheduler_test, cron_upsert_stores_the_scheduler_and_its_delayed_job) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    repeat_options r;
    r.pattern = "0 0 1 1 *";  // every new year, midnight in Berlin
    r.tz = "Europe/Berlin";
    r.limit = 5;
    job_template t;
    t.name = "happy-new-year";
    t.data = json::parse(R"({"greeting":"hello"})");
    t.opts.attempts = 2;
    std::string id = "new-year";
    auto j = co_await q.upsert_job_scheduler(id, r, t);
    DROVER_CO_ASSERT_TRUE(j.has_value());
    // The next 1 January 00:00 in Berlin is 31 December 23:00 UTC.
    auto next_ms = std::stoll(cli("ZSCORE " + key("repeat") + " new-year"));
    EXPECT_EQ(next_ms % 86400000, 23 * 3600000);
    EXPECT_EQ(j->id, "repeat:new-year:" + std::to_string(next_ms));
    EXPECT_EQ(co_await q.get_job_state(j->id), job_state::delayed);
    EXPECT_EQ(cli("HGET " + key("repeat:new-year") + " pattern"), "0 0 1 1 *");
    EXPECT_EQ(cli("HGET " + key("repeat:new-year") + " tz"), "Europe/Berlin");
    EXPECT_EQ(cli("HGET " + key("repeat:new-year") + " ic"), "1");
    EXPECT_EQ(cli("HGET " + key(j->id) + " rjk"), "new-year");

    auto info = co_await q.get_job_scheduler(id);
    DROVER_CO_ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->name, "happy-new-year");
    EXPECT_EQ(info->next, next_ms);
    EXPECT_EQ(info->limit, 5);
    EXPECT_EQ(info->iteration_count, 1);
    EXPECT_EQ(info->template_data, json::parse(R"({"greeting":"hello"})"));
    DROVER_CO_ASSERT_TRUE(info->template_opts.has_value());
    EXPECT_EQ(info->template_opts->at("attempts"), 2);
    EXPECT_EQ(co_await q.get_job_schedulers_count(), 1);

    auto stored = co_await q.get_job(j->id);
    DROVER_CO_ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->name, "happy-new-year");
    EXPECT_EQ(stored->repeat_job_key, "new-year");
    EXPECT_EQ(stored->opts.attempts, 2);
    const auto& repeat = stored->opts.extra.at("repeat").as_object();
    EXPECT_EQ(repeat.at("count"), 1);
    EXPECT_EQ(repeat.at("pattern"), "0 0 1 1 *");
    EXPECT_EQ(stored->opts.extra.at("prevMillis"), next_ms);
  });
}

TEST_F(job_scheduler_test, upsert_again_replaces_the_next_job) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    std::string id = "s";
    auto first = every(60000), second = every(120000);
    co_await q.upsert_job_scheduler(id, first);
    co_await q.upsert_job_scheduler(id, second);
    EXPECT_EQ(co_await q.get_job_schedulers_count(), 1);
    auto c = co_await q.get_job_counts();
    EXPECT_EQ(c["delayed"] + c["waiting"], 1);
    auto info = co_await q.get_job_scheduler(id);
    DROVER_CO_ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->every, 120000);
  });
}

TEST_F(job_scheduler_test, worker_keeps_an_every_schedule_going_until_removed) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    job_template t;
    t.data = json::parse(R"({"n":1})");
    std::string id = "tick";
    auto r = every(300);
    co_await q.upsert_job_scheduler(id, r, t);
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    auto four_done = [&]() -> net::awaitable<bool> { co_return co_await completed(q) >= 4; };
    EXPECT_TRUE(co_await eventually(four_done));
    std::vector<std::string> states{"completed"};
    auto done = co_await q.get_jobs(states);
    std::set<std::string> ids;
    for (const auto& j : done) {
      EXPECT_EQ(j.repeat_job_key, "tick");
      EXPECT_EQ(j.returnvalue, json::parse(R"({"n":1})"));
      ids.insert(j.id);
    }
    EXPECT_EQ(ids.size(), done.size());
    auto info = co_await q.get_job_scheduler(id);
    DROVER_CO_ASSERT_TRUE(info.has_value());
    EXPECT_GE(*info->iteration_count, 4);

    EXPECT_TRUE(co_await q.remove_job_scheduler(id));
    EXPECT_FALSE(co_await q.remove_job_scheduler(id));
    auto gone = co_await q.get_job_scheduler(id);
    EXPECT_FALSE(gone.has_value());
    co_await test::sleep_ms(400);  // an iteration running at the removal may still finish
    auto after_removal = co_await completed(q);
    co_await test::sleep_ms(1000);
    EXPECT_EQ(co_await completed(q), after_removal);
    auto c = co_await q.get_job_counts();
    EXPECT_EQ(c["delayed"] + c["waiting"], 0);
    co_await w.close();
  });
}

TEST_F(job_scheduler_test, worker_runs_a_cron_schedule_every_second) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    repeat_options r;
    r.pattern = "* * * * * *";
    r.tz = "America/New_York";
    std::string id = "per-second";
    co_await q.upsert_job_scheduler(id, r);
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    auto three_done = [&]() -> net::awaitable<bool> { co_return co_await completed(q) >= 3; };
    EXPECT_TRUE(co_await eventually(three_done, 6s));
    // Each iteration ran on a whole second, one second after the one before.
    std::vector<std::string> states{"completed"};
    auto done = co_await q.get_jobs(states, 0, -1, true);
    DROVER_CO_ASSERT_TRUE(done.size() >= 3);
    std::set<std::int64_t> millis;
    for (const auto& j : done) millis.insert(std::stoll(j.id.substr(j.id.rfind(':') + 1)));
    for (auto m : millis) EXPECT_EQ(m % 1000, 0);
    EXPECT_EQ(*std::next(millis.begin()) - *millis.begin(), 1000);
    co_await w.close();
  });
}

TEST_F(job_scheduler_test, limit_is_honoured) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto r = every(150);
    r.limit = 3;
    std::string id = "three";
    co_await q.upsert_job_scheduler(id, r);
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    auto three_done = [&]() -> net::awaitable<bool> { co_return co_await completed(q) >= 3; };
    EXPECT_TRUE(co_await eventually(three_done));
    co_await test::sleep_ms(800);
    EXPECT_EQ(co_await completed(q), 3);
    co_await w.close();
  });
}

TEST_F(job_scheduler_test, end_date_is_honoured) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto r = every(200);
    r.end_date = detail::now_ms() + 700;
    std::string id = "until";
    co_await q.upsert_job_scheduler(id, r);
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    co_await test::sleep_ms(1500);
    auto n = co_await completed(q);
    EXPECT_GE(n, 2);
    EXPECT_LE(n, 5);
    co_await test::sleep_ms(600);
    EXPECT_EQ(co_await completed(q), n);
    co_await w.close();
  });
}

// A job of a BullMQ 5 repeatable job (rjk shaped name:id:endDate:tz:every) runs, but makes no
// next iteration: that metadata is not supported, as in BullMQ 6.
TEST_F(job_scheduler_test, legacy_repeatable_job_runs_once_and_makes_no_next_iteration) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    job_options o;
    o.delay = 300;
    std::string job_name = "legacy";
    json::value data = json::object();
    auto j = co_await q.add(job_name, data, o);
    cli("HSET " + key(j.id) + " rjk legacy:x::UTC:5000");
    worker w(io.get_executor(), name, echo(), wopts());
    w.start();
    auto one_done = [&]() -> net::awaitable<bool> { co_return co_await completed(q) == 1; };
    EXPECT_TRUE(co_await eventually(one_done));
    co_await test::sleep_ms(300);
    auto c = co_await q.get_job_counts();
    EXPECT_EQ(c["delayed"] + c["waiting"] + c["active"], 0);
    EXPECT_EQ(co_await q.get_job_schedulers_count(), 0);
    co_await w.close();
  });
}

TEST_F(job_scheduler_test, limit_zero_adds_nothing) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    auto r = every(1000);
    r.limit = 0;
    std::string id = "never";
    auto none = co_await q.upsert_job_scheduler(id, r);
    EXPECT_FALSE(none.has_value());
    EXPECT_EQ(co_await q.get_job_schedulers_count(), 0);
  });
}

TEST_F(job_scheduler_test, bad_options_are_refused_and_nothing_is_written) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    std::string id = "bad";
    auto refused = [&](const repeat_options& r) -> net::awaitable<bool> {
      bool threw = false;
      try {
        co_await q.upsert_job_scheduler(id, r);
      } catch (const error& e) {
        threw = e.code() == errc::invalid_argument;
      }
      co_return threw;
    };
    repeat_options both = every(1000);
    both.pattern = "* * * * *";
    EXPECT_TRUE(co_await refused(both));
    repeat_options neither;
    EXPECT_TRUE(co_await refused(neither));
    repeat_options bad_pattern;
    bad_pattern.pattern = "61 * * * *";
    EXPECT_TRUE(co_await refused(bad_pattern));
    repeat_options bad_zone;
    bad_zone.pattern = "* * * * *";
    bad_zone.tz = "Nowhere/Special";
    EXPECT_TRUE(co_await refused(bad_zone));
    auto past = every(1000);
    past.end_date = detail::now_ms() - 1000;
    EXPECT_TRUE(co_await refused(past));
    repeat_options immediately_and_start;
    immediately_and_start.pattern = "* * * * *";
    immediately_and_start.immediately = true;
    immediately_and_start.start_date = detail::now_ms() + 1000;
    EXPECT_TRUE(co_await refused(immediately_and_start));
    EXPECT_EQ(co_await q.get_job_schedulers_count(), 0);
  });
}

}  // namespace
}  // namespace drover
