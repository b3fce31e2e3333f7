// dead_letter_queue_test.cpp - what a worker copies to its dead-letter queue, what it
// leaves out, and sending entries back with dead_letter_queue.
#include <drover/dead_letter_queue.hpp>
#include <drover/queue.hpp>
#include <drover/redis_client.hpp>
#include <drover/worker.hpp>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/worker_thread.hpp"

namespace drover {
namespace {

class dead_letter_queue_test : public test::queue_fixture {
 protected:
  dead_letter_queue_test() : queue_fixture("dlq-test") {}
  std::string dlq_name = dead_letter_queue::name_for(name);
  worker_options wopts() const {
    auto o = queue_fixture::wopts();
    o.dead_letter_queue = dlq_name;
    o.name = "dlq-tester";
    return o;
  }
  net::awaitable<bool> count_is(dead_letter_queue& d, std::int64_t n) { co_return co_await d.count() == n; }
};

// Fails every job whose data says {"fail": true}; "fatal" ones unrecoverably.
processor judge(std::atomic<int>& runs) {
  return processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
    ++runs;
    const auto& d = ctx.job().data;
    if (d.is_object() && d.get_object().contains("fatal")) throw unrecoverable_error("fatal input");
    if (d.is_object() && d.get_object().contains("fail")) throw std::runtime_error("boom");
    co_return "ok";
  });
}

TEST_F(dead_letter_queue_test, a_job_that_exhausts_its_attempts_is_copied_with_its_origin) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    auto opts =
        job_options::from_json(json::parse(R"({"attempts":2,"backoff":{"type":"fixed","delay":10},"priority":3})"));
    auto data = json::parse(R"({"fail":true,"user":"ada"})");
    auto j = co_await q.add("send-mail", data, opts);
    test::worker_thread w(name, judge(runs), wopts());
    EXPECT_TRUE(co_await eventually([&] { return count_is(dlq, 1); }));
    auto failed = co_await q.get_job(j.id);
    DROVER_CO_ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->failed_reason, "boom");  // the source job stays failed as BullMQ leaves it

    auto entries = co_await dlq.list();
    DROVER_CO_ASSERT_TRUE(entries.size() == 1u);
    const auto& e = entries.front();
    EXPECT_EQ(e.name, "send-mail");
    EXPECT_TRUE(e.id.starts_with(name + "-" + j.id + "-")) << e.id;
    EXPECT_EQ(e.data.at("data"), data);
    const auto& origin = e.data.at("deadLetter").as_object();
    EXPECT_EQ(origin.at("queue").as_string(), name);
    EXPECT_EQ(origin.at("jobId").as_string(), j.id);
    EXPECT_EQ(origin.at("name").as_string(), "send-mail");
    EXPECT_EQ(origin.at("failedReason").as_string(), "boom");
    EXPECT_EQ(origin.at("stacktrace").as_array().size(), 2u);
    EXPECT_EQ(origin.at("attemptsMade").to_number<int>(), 2);
    EXPECT_EQ(origin.at("worker").as_string(), "dlq-tester");
    EXPECT_EQ(origin.at("timestamp").to_number<std::int64_t>(), j.timestamp);
    EXPECT_TRUE(origin.at("processedOn").is_number());
    EXPECT_GE(origin.at("finishedOn").to_number<std::int64_t>(), *failed->finished_on);
    EXPECT_EQ(origin.at("opts").at("attempts").to_number<int>(), 2);
    EXPECT_EQ(origin.at("opts").at("priority").to_number<int>(), 3);
    EXPECT_EQ(origin.at("opts").at("backoff").at("delay").to_number<int>(), 10);
    auto again = co_await dlq.get(e.id);
    EXPECT_TRUE(again.has_value());
    dlq.close();
    q.close();
  });
  EXPECT_EQ(runs.load(), 2);
}

// The copy rides in the failure's own script call: a failure that is not recorded (its
// lock is gone, so the stalled check owns the job) leaves no entry either.
TEST_F(dead_letter_queue_test, a_failure_that_cannot_be_recorded_writes_no_copy) {
  std::atomic<int> runs{0};
  std::atomic<bool> lock_gone{false};
  auto proc = processor::async([&](job_context&) -> net::awaitable<json::value> {
    ++runs;
    while (!lock_gone) co_await test::sleep_ms(10);
    throw std::runtime_error("boom");
  });
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    redis_client raw_redis(io.get_executor(), redis());
    auto j = co_await q.add("x", json::object{});
    auto o = wopts();
    o.skip_stalled_check = true;
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&]() -> net::awaitable<bool> { co_return runs.load() == 1; }));
    co_await raw_redis.del("bull:" + name + ":" + j.id + ":lock");
    lock_gone = true;
    co_await test::sleep_ms(500);
    EXPECT_EQ(co_await dlq.count(), 0);
    EXPECT_EQ(co_await q.get_job_state(j.id), job_state::active);
    raw_redis.close();
    dlq.close();
    q.close();
  });
}

TEST_F(dead_letter_queue_test, unrecoverable_failures_are_copied_but_cancellations_and_retries_are_not) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":3})"));
    auto fatal = co_await q.add("f", json::parse(R"({"fatal":true})"), opts);
    // Fails once, then (data changed) succeeds: a retried attempt is not a dead letter.
    auto flaky = co_await q.add("r", json::parse(R"({"fail":true})"), opts);
    auto slow = co_await q.add("slow", json::object());
    auto judged = judge(runs);
    auto proc = processor::async([&](job_context& ctx) -> net::awaitable<json::value> {
      if (ctx.job().name == "slow") {
        co_await test::sleep_ms(30000);
        co_return nullptr;
      }
      if (ctx.job().name == "r" && ctx.job().attempts_made > 0) co_return "second time lucky";
      co_return co_await judged.async_(ctx);
    });
    auto o = wopts();
    o.concurrency = 3;
    test::worker_thread w(name, proc, o);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, fatal.id, job_state::failed); }));
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, flaky.id, job_state::completed); }));
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, slow.id, job_state::active); }));
    EXPECT_EQ(co_await q.cancel(slow.id), cancel_outcome::signalled);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, slow.id, job_state::failed); }));
    co_await test::sleep_ms(300);
    auto entries = co_await dlq.list();
    DROVER_CO_ASSERT_TRUE(entries.size() == 1u);
    EXPECT_EQ(entries.front().data.at("deadLetter").at("jobId").as_string(), fatal.id);
    EXPECT_EQ(entries.front().data.at("deadLetter").at("failedReason").as_string(), "fatal input");
    EXPECT_EQ(entries.front().data.at("deadLetter").at("attemptsMade").to_number<int>(), 1);
    dlq.close();
    q.close();
  });
}

TEST_F(dead_letter_queue_test, without_a_dead_letter_queue_nothing_is_copied) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    auto j = co_await q.add("f", json::parse(R"({"fail":true})"));
    auto o = wopts();
    o.dead_letter_queue.clear();
    test::worker_thread w(name, judge(runs), o);
    EXPECT_TRUE(co_await eventually([&] { return state_is(q, j.id, job_state::failed); }));
    co_await test::sleep_ms(200);
    EXPECT_EQ(co_await dlq.count(), 0);
    dlq.close();
    q.close();
  });
}

// Failures anyone can cause must not fill Redis: each copy beyond dead_letters_kept
// deletes the oldest entry (its hash too, with a "removed" event).
TEST_F(dead_letter_queue_test, keeps_the_newest_entries_and_only_the_jobs_it_is_told_to) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    redis_client raw_redis(io.get_executor(), redis());
    std::vector<std::string> ids;
    const json::value failing = json::parse(R"({"fail":true})");  // named: no temporaries in co_await (GCC 12)
    for (int i = 0; i < 4; ++i) {
      auto j = co_await q.add("f", failing);
      ids.push_back(j.id);
    }
    auto skipped = co_await q.add("skip", failing);
    // Paused, as a person looking at it may leave it: its entries still go to wait.
    queue dlq_queue(io.get_executor(), dlq_name, qopts());
    co_await dlq_queue.pause();
    auto o = wopts();
    o.dead_letters_kept = 2;
    o.dead_letter_if = [](const job& j) { return j.name != "skip"; };
    {
      test::worker_thread w(name, judge(runs), o);
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, skipped.id, job_state::failed); }));
    }
    auto entries = co_await dlq.list();
    DROVER_CO_ASSERT_TRUE(entries.size() == 2u);
    // The newest two of the four copied: jobs 3 and 4, oldest first.
    EXPECT_EQ(entries[0].data.at("deadLetter").at("jobId").as_string(), ids[2]);
    EXPECT_EQ(entries[1].data.at("deadLetter").at("jobId").as_string(), ids[3]);
    const redis_script probe("dlq-probe",
                             "local n = 0\n"
                             "for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do\n"
                             "  if e[2][2] == 'removed' then n = n + 1 end\n"
                             "end\n"
                             "return {n, #redis.call('KEYS', KEYS[2])}");
    std::vector<std::string> probed{"bull:" + dlq_name + ":events", "bull:" + dlq_name + ":" + name + "-*"};
    auto probing = raw_redis.eval(probe, probed);
    auto removed = co_await std::move(probing);
    EXPECT_EQ(json::serialize(removed), "[2,2]");  // two removed, two entry hashes left
    dlq_queue.close();
    raw_redis.close();
    dlq.close();
    q.close();
  });
}

// A C++ user's review: a dead_letter_if that threw left the job failed for good but
// unrecorded, to stall and fail again for ever; one that threw 42 left io_context::run().
// A predicate that cannot answer keeps the copy.
TEST_F(dead_letter_queue_test, a_dead_letter_if_that_throws_copies_the_job_and_fails_it) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    const json::value failing = json::parse(R"({"fail":true})");  // named: no temporaries in co_await (GCC 12)
    auto with_std = co_await q.add("std", failing);
    auto with_int = co_await q.add("int", failing);
    auto o = wopts();
    o.dead_letter_if = [](const job& j) -> bool {
      if (j.name == "std") throw std::runtime_error("predicate broke");
      throw 42;
    };
    {
      test::worker_thread w(name, judge(runs), o);
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, with_std.id, job_state::failed); }));
      EXPECT_TRUE(co_await eventually([&] { return state_is(q, with_int.id, job_state::failed); }));
    }
    auto entries = co_await dlq.list();
    EXPECT_EQ(entries.size(), 2u);
    dlq.close();
    q.close();
  });
  EXPECT_EQ(runs.load(), 2);  // each ran once: no stall, no second run
}

// A failed job retried since ran again: its dead letter is not requeued (an operator ran
// `queue retry`, then `dlq requeue-all`, and every message was answered twice).
TEST_F(dead_letter_queue_test, an_entry_whose_job_ran_again_is_not_requeued) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":1,"jobId":"retried-1"})"));
    co_await q.add("again", json::parse(R"({"fail":true})"), opts);
    auto other = job_options::from_json(json::parse(R"({"attempts":1,"jobId":"left-2"})"));
    co_await q.add("again", json::parse(R"({"fail":true})"), other);
    {
      test::worker_thread w(name, judge(runs), wopts());
      EXPECT_TRUE(co_await eventually([&] { return count_is(dlq, 2); }));
    }
    co_await q.retry_job("retried-1");  // waiting again, with no worker to run it
    auto entries = co_await dlq.list();
    DROVER_CO_ASSERT_TRUE(entries.size() == 2u);
    const auto& retried_entry =
        entries[0].data.at("deadLetter").at("jobId").as_string() == "retried-1" ? entries[0] : entries[1];
    try {
      co_await dlq.requeue(retried_entry.id);
      ADD_FAILURE() << "requeued the dead letter of a job that runs again";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::not_in_state)) << e.what();
      EXPECT_NE(std::string(e.what()).find("would run the job twice"), std::string::npos) << e.what();
    }
    // requeue_all takes the other and keeps this one.
    auto added = co_await dlq.requeue_all();
    EXPECT_EQ(added.size(), 1u);
    EXPECT_EQ(co_await dlq.count(), 1);
    EXPECT_TRUE((co_await dlq.get(retried_entry.id)).has_value());
    dlq.close();
    q.close();
  });
}

// An operator's review: a job failed (entry A), was retried and failed again (entry B);
// requeueing B took the failed job over and removed it, after which A, its job gone, was
// requeued too and the job ran twice. A is refused now, alone and in requeue_all.
TEST_F(dead_letter_queue_test, an_older_entry_of_a_job_whose_later_failure_was_requeued_is_not_requeued) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":1,"jobId":"twice-1"})"));
    const json::value failing = json::parse(R"({"fail":true})");
    auto adding = q.add("again", failing, opts);
    co_await std::move(adding);
    {
      test::worker_thread w(name, judge(runs), wopts());
      EXPECT_TRUE(co_await eventually([&] { return count_is(dlq, 1); }));
      const std::string failed_id = "twice-1";  // named: GCC 12 and temporaries in co_await
      auto retrying = q.retry_job(failed_id);
      co_await std::move(retrying);
      EXPECT_TRUE(co_await eventually([&] { return count_is(dlq, 2); }));
    }
    auto entries = co_await dlq.list();
    DROVER_CO_ASSERT_TRUE(entries.size() == 2u);
    // The later failure's entry has the later finishedOn.
    auto finished = [](const job& e) { return e.data.at("deadLetter").at("finishedOn").to_number<std::int64_t>(); };
    const auto& older = finished(entries[0]) < finished(entries[1]) ? entries[0] : entries[1];
    const auto& later = finished(entries[0]) < finished(entries[1]) ? entries[1] : entries[0];
    auto requeued = co_await dlq.requeue(later.id);
    EXPECT_EQ(co_await q.get_job_state(requeued.id), job_state::waiting);
    try {
      co_await dlq.requeue(older.id);
      ADD_FAILURE() << "requeued the older dead letter of a job requeued already";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::not_in_state)) << e.what();
      EXPECT_NE(std::string(e.what()).find("was requeued already"), std::string::npos) << e.what();
    }
    auto added = co_await dlq.requeue_all();
    EXPECT_EQ(added.size(), 0u);
    auto kept = co_await dlq.get(older.id);
    EXPECT_TRUE(kept.has_value());
    std::vector<std::string> waiting{"waiting"};
    auto counting = q.get_job_counts(std::move(waiting));
    auto counts = co_await std::move(counting);
    EXPECT_EQ(counts["waiting"], 1);
    dlq.close();
    q.close();
  });
}

TEST_F(dead_letter_queue_test, requeue_sends_an_entry_back_to_its_source_queue) {
  std::atomic<int> runs{0};
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    auto opts = job_options::from_json(json::parse(R"({"attempts":1,"jobId":"custom-7"})"));
    co_await q.add("again", json::parse(R"({"fail":true})"), opts);
    for (int i = 0; i < 3; ++i) co_await q.add("many", json::parse(R"({"fail":true})"));
    {
      test::worker_thread w(name, judge(runs), wopts());
      EXPECT_TRUE(co_await eventually([&] { return count_is(dlq, 4); }));
    }
    auto entries = co_await dlq.list();
    DROVER_CO_ASSERT_TRUE(entries.size() == 4u);
    EXPECT_EQ(entries.front().data.at("deadLetter").at("jobId").as_string(), "custom-7");

    auto requeued = co_await dlq.requeue(entries.front().id);
    EXPECT_NE(requeued.id, "custom-7");  // a new run gets a new id
    EXPECT_EQ(requeued.name, "again");
    EXPECT_EQ(requeued.data, json::parse(R"({"fail":true})"));
    EXPECT_EQ(co_await q.get_job_state(requeued.id), job_state::waiting);
    // The copy took the failure over: the failed job went with the entry, so a retry of it
    // cannot run the job a second time (an operator requeued the dead letters, then retried
    // the failed jobs, and every message was answered twice).
    EXPECT_EQ(co_await q.get_job_state("custom-7"), std::nullopt);
    try {
      co_await q.retry_job("custom-7");
      ADD_FAILURE() << "retried a failed job whose dead letter was requeued";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::job_not_found)) << e.what();
    }
    EXPECT_EQ((co_await q.get_job_counts())["failed"], 3);
    EXPECT_FALSE((co_await dlq.get(entries.front().id)).has_value());
    EXPECT_EQ(co_await dlq.count(), 3);
    auto requeue_error = [&](std::string id) -> net::awaitable<std::optional<errc>> {
      try {
        co_await dlq.requeue(std::move(id));
      } catch (const error& e) {
        for (auto c : {errc::job_not_found, errc::not_in_state}) {
          if (e.is(c)) co_return c;
        }
        throw;
      }
      co_return std::nullopt;
    };
    EXPECT_EQ(co_await requeue_error("no-such-entry"), errc::job_not_found);
    // The same entry twice: the second finds it gone and adds nothing.
    EXPECT_EQ(co_await requeue_error(entries.front().id), errc::job_not_found);
    EXPECT_EQ((co_await q.get_job_counts())["waiting"], 1);
    // A locked entry stays where it is, and nothing is added for it.
    redis_client raw_redis(io.get_executor(), redis());
    const std::string lock_key = "bull:" + dlq_name + ":" + entries[1].id + ":lock";
    co_await raw_redis.set(lock_key, "someone");
    EXPECT_EQ(co_await requeue_error(entries[1].id), errc::not_in_state);
    EXPECT_EQ((co_await q.get_job_counts())["waiting"], 1);
    co_await raw_redis.del(lock_key);
    raw_redis.close();

    auto rest = co_await dlq.requeue_all();
    EXPECT_EQ(rest.size(), 3u);
    EXPECT_EQ(co_await dlq.count(), 0);
    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["waiting"], 4);

    // An entry that is not a dead letter is refused, not guessed at.
    queue raw(io.get_executor(), dlq_name, qopts());
    auto odd = co_await raw.add("odd", json::parse(R"({"x":1})"));
    bool refused = false;
    try {
      co_await dlq.requeue(odd.id);
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);
    // requeue_all keeps it, said in the log, and goes on with the entries after it (it
    // stopped there, and every later entry stayed).
    // (The four jobs requeued above fail again too: six entries, the odd one first.)
    co_await q.add("after-odd", json::parse(R"({"fail":true})"));
    {
      test::worker_thread w(name, judge(runs), wopts());
      EXPECT_TRUE(co_await eventually([&] { return count_is(dlq, 6); }));
    }
    auto past_odd = co_await dlq.requeue_all();
    EXPECT_EQ(past_odd.size(), 5u);
    EXPECT_TRUE(std::any_of(past_odd.begin(), past_odd.end(), [](const job& j) { return j.name == "after-odd"; }));
    EXPECT_EQ(co_await dlq.count(), 1);
    raw.close();
    dlq.close();
    q.close();
  });
}

}  // namespace
}  // namespace drover

namespace drover {
namespace {

// Entries as a worker writes them for jobs Node added: options drover's producer would
// refuse (removeOnComplete -1 keeps every job in BullMQ) requeue as they are, and a flow's
// child is not copied (its parent would wait for the original for ever): requeue says
// to retry the original, requeue_all leaves it and goes on.
TEST_F(dead_letter_queue_test, entries_of_node_jobs_requeue_and_flow_children_are_left_to_a_retry) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, qopts());
    dead_letter_queue dlq(io.get_executor(), dlq_name, qopts());
    queue raw(io.get_executor(), dlq_name, qopts());
    auto entry = [&](const char* id, const char* opts) {
      return json::parse(
          fmt::format(R"({{"data":{{"n":1}},"deadLetter":{{"queue":"{}","jobId":"{}","opts":{}}}}})", name, id, opts));
    };
    json::value node_job = entry("7", R"({"attempts":2,"removeOnComplete":-1,"stackTraceLimit":-1,"keepLogs":5})");
    auto plain = co_await raw.add("from-node", node_job);
    json::value child_job = entry("8", R"({"attempts":1,"parent":{"id":"p1","queue":"bull:parents"}})");
    auto child = co_await raw.add("child", child_job);

    auto requeued = co_await dlq.requeue(plain.id);
    EXPECT_EQ(requeued.opts.remove_on_complete, json::value(-1));
    EXPECT_EQ(requeued.opts.keep_logs, 5);  // the entry holds it as keepLogs (to_json)
    EXPECT_EQ(co_await q.get_job_state(requeued.id), job_state::waiting);

    std::string refusal;
    try {
      co_await dlq.requeue(child.id);
    } catch (const error& e) {
      if (e.is(errc::invalid_argument)) refusal = e.what();
    }
    EXPECT_NE(refusal.find("child of a flow"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("job 8 of queue " + name), std::string::npos) << refusal;

    json::value again = entry("9", R"({"attempts":1})");
    co_await raw.add("after", again);
    auto all = co_await dlq.requeue_all();
    EXPECT_EQ(all.size(), 1u);  // "after"; the child stays
    EXPECT_EQ(co_await dlq.count(), 1);
    EXPECT_EQ((co_await q.get_job_counts())["waiting"], 2);
    raw.close();
    dlq.close();
    q.close();
  });
}

}  // namespace
}  // namespace drover
