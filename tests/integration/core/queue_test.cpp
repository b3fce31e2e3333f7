// queue_test.cpp - the producer and admin side against Redis: what each call leaves in Redis
// must be what BullMQ 6.7.0 leaves (key names, scores, fields, events).
#include <drover/error.hpp>
#include <drover/queue.hpp>

#include <gtest/gtest.h>

#include <chrono>

#include <functional>

#include <boost/json/parse.hpp>

#include "support/engine_test.hpp"
#include "support/queue_fixture.hpp"
#include "support/redis_server.hpp"

namespace drover {
namespace {

class queue_test : public test::queue_fixture {
 protected:
  queue_test() : queue_fixture("queue-test") {}

  template <class F>
  void with_queue(F&& f) {
    run_async([&](net::io_context& io) -> net::awaitable<void> {
      queue q(io.get_executor(), name, qopts());
      co_await f(q);
      q.close();
    });
  }
};

TEST_F(queue_test, add_writes_bullmq_layout) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    auto j = co_await q.add("plain", json::parse(R"({"a":1,"s":"x"})"));
    EXPECT_EQ(j.id, "1");
    EXPECT_EQ(j.name, "plain");
  });
  EXPECT_EQ(cli("LRANGE " + key("wait") + " 0 -1"), "1");
  EXPECT_EQ(cli("HGET " + key("1") + " name"), "plain");
  EXPECT_EQ(cli("HGET " + key("1") + " data"), R"({"a":1,"s":"x"})");
  EXPECT_EQ(json::parse(cli("HGET " + key("1") + " opts")), json::parse(R"({"attempts":0})"));
  EXPECT_EQ(cli("HGET " + key("1") + " delay"), "0");
  EXPECT_EQ(cli("HGET " + key("1") + " priority"), "0");
  EXPECT_EQ(cli("ZSCORE " + key("marker") + " 0"), "0");
  EXPECT_EQ(cli("GET " + key("id")), "1");
  // Events: added then waiting.
  auto events = cli("XRANGE " + key("events") + " - +");
  EXPECT_NE(events.find("added"), std::string::npos);
  EXPECT_NE(events.find("waiting"), std::string::npos);
}

// After Redis lost its data BullMQ's counter starts again at 1; a queue that keeps its
// ids goes on above the highest it was told of (a custom id is none) and the ids it gave, whichever add script
// runs (the lean standard add, BullMQ's prioritized and delayed adds), and a floor never
// goes down.
TEST_F(queue_test, keep_ids_above_goes_on_above_the_floor_and_its_own_ids_after_the_counter_is_lost) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    // A custom id is none: "doc-7", and one with a leading zero, which BullMQ takes as a
    // custom id although it is all digits.
    q.keep_ids_above({"12", "40", "doc-7", "39", "09223372036854775807", "0041", "-50", "1e9"});
    auto first = co_await q.add("a", json::object());
    EXPECT_EQ(first.id, "41");
    EXPECT_EQ(cli("DEL " + key("id")), "1");  // as a restart without persistence leaves it
    auto second = co_await q.add("b", json::object());
    EXPECT_EQ(second.id, "42");
    EXPECT_EQ(cli("SET " + key("id") + " 3"), "OK");  // a failover to a replica that lagged
    q.keep_ids_above({"10"});
    job_options prioritized;
    prioritized.priority = 2;
    auto third = co_await q.add("c", json::object(), prioritized);
    EXPECT_EQ(third.id, "43");
    job_options delayed;
    delayed.delay = 60000;
    auto fourth = co_await q.add("d", json::object(), delayed);
    EXPECT_EQ(fourth.id, "44");
    // A counter already above the floor (another producer added) is left as it is.
    EXPECT_EQ(cli("SET " + key("id") + " 100"), "OK");
    auto fifth = co_await q.add("e", json::object());
    EXPECT_EQ(fifth.id, "101");
  });
}

TEST_F(queue_test, a_queue_that_does_not_keep_its_ids_starts_again_as_bullmq_does) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    auto first = co_await q.add("a", json::object());
    EXPECT_EQ(first.id, "1");
    EXPECT_EQ(cli("DEL " + key("id")), "1");
    auto second = co_await q.add("b", json::object());
    EXPECT_EQ(second.id, "1");
  });
}

// Redis runs a pipeline's scripts one by one and may refuse some (maxmemory, a missing
// parent): the call says which jobs went in, so that a caller answering for each job
// does not say "not added" of one that was (an operator's drill: a send told "not
// queued" was answered, and its retry answered twice).
TEST_F(queue_test, add_bulk_says_which_jobs_went_in_when_redis_refused_others) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    std::vector<new_job> jobs(3);
    jobs[0].name = "first";
    jobs[1].name = "orphan";
    set_parent(jobs[1].opts, parent_ref{"nobody", "bull:" + name});
    jobs[2].name = "third";
    bool cut = false;
    try {
      co_await q.add_bulk(std::move(jobs));
    } catch (const bulk_add_error& e) {
      cut = true;
      EXPECT_TRUE(e.is(errc::parent_missing)) << e.what();
      EXPECT_TRUE(e.added[0].has_value() && e.added[2].has_value());
      EXPECT_FALSE(e.added[1].has_value());
      EXPECT_TRUE(e.refused[1].has_value() && e.refused[1]->is(errc::parent_missing));
      EXPECT_EQ(e.added[0]->name, "first");
      EXPECT_EQ(e.added[2]->id, "2");  // the refused add took no id
    }
    EXPECT_TRUE(cut);
    // All refused: the refusal itself, as for one add.
    std::vector<new_job> orphans(2);
    for (auto& o : orphans) set_parent(o.opts, parent_ref{"nobody", "bull:" + name});
    bool plain = false;
    try {
      co_await q.add_bulk(std::move(orphans));
    } catch (const bulk_add_error&) {
      ADD_FAILURE() << "a call that added nothing is not cut";
    } catch (const error& e) {
      plain = e.is(errc::parent_missing);
    }
    EXPECT_TRUE(plain);
  });
  EXPECT_EQ(cli("LRANGE " + key("wait") + " 0 -1"), "2\n1");
}

TEST_F(queue_test, the_first_add_writes_the_layouts_version_as_nodes_queue_does) {
  EXPECT_EQ(cli("HGET " + key("meta") + " version"), "");
  // Each call made outside its co_await: GCC 12 miscompiles temporaries inside one.
  with_queue([&](queue& q) -> net::awaitable<void> {
    auto add_first = q.add("plain", json::object());
    auto first = co_await std::move(add_first);
    EXPECT_EQ(first.id, "1");
    // Someone else's version stays until the next queue object's first add (Node's Queue
    // overwrites it on construction alike).
    cli("HSET " + key("meta") + " version someone:1.0");
    auto add_second = q.add("plain", json::object());
    auto second = co_await std::move(add_second);
    EXPECT_EQ(second.id, "2");
  });
  EXPECT_EQ(cli("HGET " + key("meta") + " version"), "someone:1.0");
  with_queue([&](queue& q) -> net::awaitable<void> {
    auto add_third = q.add("plain", json::object());
    auto third = co_await std::move(add_third);
    EXPECT_EQ(third.id, "3");
  });
  EXPECT_EQ(cli("HGET " + key("meta") + " version"), "bullmq:6.7.0");
  // BullMQ's own add script sets opts.maxLenEvents beside it.
  EXPECT_EQ(cli("HGET " + key("meta") + " opts.maxLenEvents"), "10000");
}

TEST_F(queue_test, delayed_and_prioritized_scores) {
  std::int64_t ts = 1795883237088;
  with_queue([&](queue& q) -> net::awaitable<void> {
    job_options delayed;
    delayed.delay = 60000;
    delayed.timestamp = ts;
    co_await q.add("d", json::object(), delayed);
    job_options p1;
    p1.priority = 1;
    co_await q.add("p", json::object(), p1);
    job_options p5;
    p5.priority = 5;
    co_await q.add("p", json::object(), p5);
  });
  // delayed score = (timestamp + delay) * 4096; the delayed event carries the due time.
  EXPECT_EQ(cli("ZSCORE " + key("delayed") + " 1"), std::to_string((ts + 60000) * 4096));
  EXPECT_EQ(cli("HGET " + key("1") + " delay"), "60000");
  EXPECT_NE(cli("XRANGE " + key("events") + " - +").find(std::to_string(ts + 60000)), std::string::npos);
  // prioritized score = priority * 2^32 + counter.
  EXPECT_EQ(cli("ZSCORE " + key("prioritized") + " 2"), std::to_string((1ll << 32) + 1));
  EXPECT_EQ(cli("ZSCORE " + key("prioritized") + " 3"), std::to_string(5 * (1ll << 32) + 2));
}

// Node's Job takes a timestamp of 0 (falsy) as "now": a delayed job then waits its delay.
TEST_F(queue_test, a_timestamp_of_zero_is_now) {
  std::int64_t before = 0;
  with_queue([&](queue& q) -> net::awaitable<void> {
    before = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
    job_options zero;
    zero.delay = 60000;
    zero.timestamp = 0;
    json::value data = json::object();  // named: GCC 12 and temporaries in co_await
    co_await q.add("d", std::move(data), zero);
  });
  const auto stored = std::stoll(cli("HGET " + key("1") + " timestamp"));
  EXPECT_GE(stored, before);
  EXPECT_LT(stored, before + 60000);
  EXPECT_EQ(cli("ZSCORE " + key("delayed") + " 1"), std::to_string((stored + 60000) * 4096));
}

TEST_F(queue_test, lifo_adds_to_the_front) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.add("a", json::object());
    job_options lifo;
    lifo.lifo = true;
    co_await q.add("b", json::object(), lifo);
    co_await q.add("c", json::object());
  });
  // Workers take from the right: 2 (lifo) first, then 1, then 3.
  EXPECT_EQ(cli("LRANGE " + key("wait") + " 0 -1"), "3\n1\n2");
}

TEST_F(queue_test, custom_id_is_kept_and_a_duplicate_writes_nothing) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    job_options o;
    o.job_id = "my-id-1";
    json::value first = json::parse(R"({"n":1})"), second = json::parse(R"({"n":2})");
    auto a = co_await q.add("x", first, o);
    auto b = co_await q.add("x", second, o);
    EXPECT_EQ(a.id, "my-id-1");
    EXPECT_EQ(b.id, "my-id-1");
    auto j = co_await q.get_job("my-id-1");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->data, (json::object{{"n", 1}}));
  });
  EXPECT_EQ(cli("LLEN " + key("wait")), "1");
  EXPECT_EQ(cli("GET " + key("id")), "2");  // BullMQ counts every add
  EXPECT_NE(cli("XRANGE " + key("events") + " - +").find("duplicated"), std::string::npos);
}

TEST_F(queue_test, bad_options_are_refused_before_anything_is_written) {
  const char* bad[] = {R"({"jobId":"123"})",  R"({"jobId":"a:b"})",
                       R"({"priority":1.5})", R"({"priority":3000000})",
                       R"({"delay":"soon"})", R"({"backoff":{"type":"fixed","jitter":2}})",
                       R"({"nope":1})"};
  for (const char* text : bad) {
    EXPECT_THROW(job_options::from_json(json::parse(text)), drover::error) << text;
  }
  with_queue([&](queue& q) -> net::awaitable<void> {
    job_options o;
    o.job_id = "42";
    bool refused = false;
    try {
      co_await q.add("x", json::object(), o);
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);
    job_options sized;
    sized.size_limit = 5;
    refused = false;
    try {
      json::value data = json::parse(R"({"long":"0123456789"})");
      co_await q.add("x", data, sized);
    } catch (const error& e) {
      refused = e.is(errc::invalid_argument);
    }
    EXPECT_TRUE(refused);
  });
  EXPECT_EQ(cli("EXISTS " + key("id")), "0");
  with_queue([&](queue& q) -> net::awaitable<void> {
    job_options unlimited;
    unlimited.size_limit = 0;  // no limit, as in Node
    json::value data = json::parse(R"({"long":"0123456789"})");
    auto added = co_await q.add("x", data, unlimited);
    EXPECT_FALSE(added.id.empty());
  });
}

TEST_F(queue_test, reads_jobs_states_counts_and_listings) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.add("w1", json::object());
    co_await q.add("w2", json::object());
    job_options d;
    d.delay = 100000;
    co_await q.add("d", json::object(), d);
    job_options p;
    p.priority = 3;
    co_await q.add("p", json::object(), p);

    EXPECT_EQ(co_await q.get_job_state("1"), job_state::waiting);
    EXPECT_EQ(co_await q.get_job_state("3"), job_state::delayed);
    EXPECT_EQ(co_await q.get_job_state("4"), job_state::prioritized);
    EXPECT_EQ(co_await q.get_job_state("nope"), std::nullopt);
    EXPECT_FALSE((co_await q.get_job("nope")).has_value());

    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["waiting"], 2);
    EXPECT_EQ(counts["delayed"], 1);
    EXPECT_EQ(counts["prioritized"], 1);
    EXPECT_EQ(counts["active"], 0);

    std::vector<std::string> waiting{"waiting"};
    auto jobs = co_await q.get_jobs(waiting, 0, -1, true);
    DROVER_CO_ASSERT_TRUE(jobs.size() == 2);
    EXPECT_EQ(jobs[0].id, "1");  // oldest first with asc
    EXPECT_EQ(jobs[1].name, "w2");
  });
}

// Lists read summaries: the same jobs in the same order as getJobs, without the data that
// may be megabytes a job.
TEST_F(queue_test, job_summaries_are_get_jobs_without_data) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    json::object big;
    big["blob"] = std::string(1 << 20, 'x');
    for (int i = 0; i < 3; ++i) co_await q.add("w" + std::to_string(i), big);
    job_options delayed;
    delayed.delay = 60'000;
    co_await q.add("later", big, delayed);
    for (bool asc : {false, true}) {
      std::vector<std::string> states{"waiting", "delayed"};
      auto whole = co_await q.get_jobs(states, 0, -1, asc);
      auto summaries = co_await q.get_job_summaries(states, 0, -1, asc);
      DROVER_CO_ASSERT_TRUE(summaries.size() == whole.size());
      for (std::size_t i = 0; i < whole.size(); ++i) {
        EXPECT_EQ(summaries[i].id, whole[i].id);
        EXPECT_EQ(summaries[i].name, whole[i].name);
        EXPECT_EQ(summaries[i].timestamp, whole[i].timestamp);
        EXPECT_EQ(summaries[i].delay, whole[i].delay);
        EXPECT_TRUE(summaries[i].data.is_null() ||
                    (summaries[i].data.is_object() && summaries[i].data.get_object().empty()));
      }
    }
    std::vector<std::string> waiting{"waiting"};
    auto page = co_await q.get_job_summaries(waiting, 1, 1);
    DROVER_CO_ASSERT_TRUE(page.size() == 1);
    EXPECT_EQ(page[0].id, "2");  // newest first: 3, 2, 1
  });
}

TEST_F(queue_test, add_bulk_adds_in_order) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    std::vector<new_job> batch;
    for (int i = 0; i < 50; ++i) {
      json::object data;
      data["i"] = i;
      batch.push_back(new_job{"bulk", data, {}});
    }
    auto jobs = co_await q.add_bulk(std::move(batch));
    DROVER_CO_ASSERT_TRUE(jobs.size() == 50);
    EXPECT_EQ(jobs.front().id, "1");
    EXPECT_EQ(jobs.back().id, "50");
  });
  EXPECT_EQ(cli("LLEN " + key("wait")), "50");
}

// Kinds of add go through different scripts. After Redis lost its scripts, the first
// plain add loads only the lean one; a bulk add that mixes kinds must not let the plain
// ones run ahead of the others' reload (ids, and so the order, out of step).
TEST_F(queue_test, add_bulk_of_mixed_kinds_keeps_its_order_after_a_script_flush) {
  DROVER_SKIP_ON_CLUSTER("flushes the node's scripts, which the tests running beside load and flush too");
  EXPECT_EQ(cli("SCRIPT FLUSH"), "OK");
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.add("first", json::object());
    std::vector<new_job> batch;
    job_options high, later, plain;
    high.priority = 5;
    later.delay = 3'600'000;
    batch.push_back(new_job{"high", json::object(), high});
    batch.push_back(new_job{"plain", json::object(), plain});
    batch.push_back(new_job{"later", json::object(), later});
    batch.push_back(new_job{"plain", json::object(), plain});
    auto jobs = co_await q.add_bulk(std::move(batch));
    DROVER_CO_ASSERT_TRUE(jobs.size() == 4);
    const std::vector<std::string> names{"high", "plain", "later", "plain"};
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      EXPECT_EQ(jobs[i].id, std::to_string(i + 2));
      EXPECT_EQ(cli("HGET " + key(std::to_string(i + 2)) + " name"), names[i]) << i;
    }
  });
}

TEST_F(queue_test, pause_resume_and_is_paused) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.add("x", json::object());
    co_await q.pause();
    EXPECT_TRUE(co_await q.is_paused());
    co_await q.add("y", json::object());
  });
  // Paused: jobs stay in wait (v6 layout), meta.paused is set and there is no marker.
  EXPECT_EQ(cli("HGET " + key("meta") + " paused"), "1");
  EXPECT_EQ(cli("LLEN " + key("wait")), "2");
  EXPECT_EQ(cli("EXISTS " + key("marker")), "0");
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.resume();
    EXPECT_FALSE(co_await q.is_paused());
  });
  EXPECT_EQ(cli("ZSCORE " + key("marker") + " 0"), "0");
  auto events = cli("XRANGE " + key("events") + " - +");
  EXPECT_NE(events.find("paused"), std::string::npos);
  EXPECT_NE(events.find("resumed"), std::string::npos);
}

// An id that names one of the queue's own keys is no job: reading it finds nothing (not a
// WRONGTYPE error from the sorted set "failed"), and removing "meta" leaves the queue paused.
TEST_F(queue_test, ids_naming_the_queues_own_keys_are_no_jobs) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    // Named arguments: GCC 12 and temporaries inside co_await (docs/contributing.md).
    job_options custom;
    custom.job_id = "parent";
    std::string job_name = "x", id = "parent", line = "a line";
    json::value data = json::object();
    co_await q.add(job_name, data, custom);
    co_await q.add_log(id, line);
    co_await q.pause();
    for (std::string key_name : {"meta", "failed", "wait", "events", "id", "marker", "drover:workers", "parent:logs"}) {
      auto j = co_await q.get_job(key_name);
      EXPECT_FALSE(j) << key_name;
    }
    std::string meta = "meta";
    auto removed = co_await q.remove(meta);
    EXPECT_FALSE(removed);
    EXPECT_TRUE(co_await q.is_paused());
  });
  EXPECT_EQ(cli("HGET " + key("meta") + " paused"), "1");
}

// Hashes of the queue's that are no job's: the metrics' and a scheduler's. Read as jobs
// they were "unknown" jobs, and removing or cancelling one deleted it (an outside review
// deleted a queue's completed metrics and a scheduler through the API).
TEST_F(queue_test, the_queues_other_hashes_are_no_jobs) {
  cli("HSET " + key("metrics:completed") + " count 3 prevTS 1 prevCount 2");
  cli("HSET " + key("repeat:nightly") + " name nightly every 3600000 ic 1");
  with_queue([&](queue& q) -> net::awaitable<void> {
    for (std::string id : {"metrics:completed", "repeat:nightly"}) {
      auto j = co_await q.get_job(id);
      EXPECT_FALSE(j) << id;
      auto removed = co_await q.remove(id);
      EXPECT_FALSE(removed) << id;
      std::string reason = "test";
      auto cancelled = co_await q.cancel(id, reason);
      EXPECT_EQ(cancelled, cancel_outcome::not_found) << id;
    }
  });
  EXPECT_EQ(cli("HGET " + key("metrics:completed") + " count"), "3");
  EXPECT_EQ(cli("HGET " + key("repeat:nightly") + " every"), "3600000");
  EXPECT_EQ(cli("HEXISTS " + key("repeat:nightly") + " drover:cancel"), "0");
}

TEST_F(queue_test, remove_promote_change_delay_and_drain) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.add("a", json::object());
    job_options d;
    d.delay = 100000;
    co_await q.add("b", json::object(), d);
    co_await q.add("c", json::object(), d);
    EXPECT_TRUE(co_await q.remove("1"));
    EXPECT_FALSE(co_await q.remove("1"));
    co_await q.promote("2");
    EXPECT_EQ(co_await q.get_job_state("2"), job_state::waiting);
    bool refused = false;
    try {
      co_await q.promote("2");
    } catch (const error& e) {
      refused = e.is(errc::not_in_state);
    }
    EXPECT_TRUE(refused);
    // A job that does not exist is not delayed either: not_in_state, as BullMQ's promote
    // answers (-3), not job_not_found (error.hpp and queue.hpp say so).
    bool missing_refused = false;
    try {
      co_await q.promote("no-such-job");
    } catch (const error& e) {
      missing_refused = e.is(errc::not_in_state);
    }
    EXPECT_TRUE(missing_refused);
    co_await q.change_delay("3", 5000);
    auto j = co_await q.get_job("3");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->delay, 5000);
    co_await q.drain(true);
    auto counts = co_await q.get_job_counts();
    EXPECT_EQ(counts["waiting"], 0);
    EXPECT_EQ(counts["delayed"], 0);
  });
  EXPECT_EQ(cli("EXISTS " + key("1")), "0");
  EXPECT_NE(cli("XRANGE " + key("events") + " - +").find("removed"), std::string::npos);
}

// As Node's Queue.addJobLog(id, row, keepLogs): the log keeps its newest keepLogs lines.
TEST_F(queue_test, add_log_keeps_the_newest_keep_logs_lines_when_asked) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    auto data = json::value(json::object());
    auto j = co_await q.add("a", data);
    for (std::string line : {"one", "two", "three"}) {
      std::string id = j.id;
      std::optional<std::int64_t> keep = 2;
      co_await q.add_log(id, line, keep);
    }
    std::string id = j.id;
    auto [lines, total] = co_await q.get_job_logs(id);
    EXPECT_EQ(total, 2);
    EXPECT_EQ(lines, (std::vector<std::string>{"two", "three"}));
  });
}

TEST_F(queue_test, progress_logs_and_data) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await q.add("a", json::object());
    json::value pct = json::parse(R"({"pct":50})");
    co_await q.update_progress("1", pct);
    co_await q.add_log("1", "first");
    EXPECT_EQ(co_await q.add_log("1", "second"), 2);
    json::value updated = json::parse(R"({"updated":true})");
    co_await q.update_data("1", updated);
    auto j = co_await q.get_job("1");
    DROVER_CO_ASSERT_TRUE(j.has_value());
    EXPECT_EQ(j->progress, (json::object{{"pct", 50}}));
    EXPECT_EQ(j->data, (json::object{{"updated", true}}));
    auto [lines, total] = co_await q.get_job_logs("1");
    EXPECT_EQ(total, 2);
    EXPECT_EQ(lines, (std::vector<std::string>{"first", "second"}));
    bool missing = false;
    try {
      co_await q.update_progress("nope", 1);
    } catch (const error& e) {
      missing = e.is(errc::job_not_found);
    }
    EXPECT_TRUE(missing);
  });
  EXPECT_NE(cli("XRANGE " + key("events") + " - +").find("progress"), std::string::npos);
}

TEST_F(queue_test, clean_and_obliterate) {
  // Completed jobs written as BullMQ's finish leaves them (set score = finish time).
  for (int i = 1; i <= 3; ++i) {
    cli("HSET " + key("c" + std::to_string(i)) + " name x data {} opts {} timestamp 1 finishedOn 1");
    cli("ZADD " + key("completed") + " " + std::to_string(i) + " c" + std::to_string(i));
  }
  with_queue([&](queue& q) -> net::awaitable<void> {
    auto removed = co_await q.clean(0ms, 2, "completed");
    EXPECT_EQ(removed.size(), 2u);
    // An active job stops obliterate (leaving the queue paused, as BullMQ does) unless forced.
    cli("HSET " + key("busy") + " name b data {} opts {} timestamp 1");
    cli("LPUSH " + key("active") + " busy");
    bool refused = false;
    try {
      co_await q.obliterate();
    } catch (const error& e) {
      refused = e.is(errc::not_in_state);
    }
    EXPECT_TRUE(refused);
    EXPECT_TRUE(co_await q.is_paused());
    co_await q.obliterate(true);
  });
  EXPECT_EQ(cli("KEYS bull:" + name + ":*"), "");
}

TEST_F(queue_test, queue_names_are_checked) {
  net::io_context io;
  EXPECT_THROW(queue(io.get_executor(), "", qopts()), drover::error);
  EXPECT_THROW(queue(io.get_executor(), "a:b", qopts()), drover::error);
}

TEST_F(queue_test, hash_tags_in_the_prefix_are_kept) {
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), name, queue_options{"{bull}", redis()});
    co_await q.add("x", json::object());
    q.close();
  });
  EXPECT_EQ(cli("LLEN {bull}:" + name + ":wait"), "1");
}

// A Redis that refuses every command (here: a password is needed and none was given)
// makes each read and write fail with Redis's answer. Read as "nothing there", the
// refusal made is_paused() say false, so both apps' /readyz reported a Redis that
// refused every send as ready (found by an operator review).
TEST(queue_on_a_refusing_redis, reads_and_writes_fail_with_the_refusal) {
  test::redis_server server;
  server.cli("CONFIG SET requirepass s3cret");
  test::run_async([&](net::io_context& io) -> net::awaitable<void> {
    queue q(io.get_executor(), "refused", queue_options{"bull", server.options()});
    // Named: a string made from a literal inside a co_await expression is the GCC 12
    // hazard docs/contributing.md describes.
    const std::string dedup_id = "d", job_id = "1";
    const std::vector<std::pair<const char*, std::function<net::awaitable<void>()>>> calls = {
        {"is_paused", [&]() -> net::awaitable<void> { co_await q.is_paused(); }},
        {"get_global_concurrency", [&]() -> net::awaitable<void> { co_await q.get_global_concurrency(); }},
        {"set_global_concurrency", [&]() -> net::awaitable<void> { co_await q.set_global_concurrency(3); }},
        {"get_deduplication_job_id", [&]() -> net::awaitable<void> { co_await q.get_deduplication_job_id(dedup_id); }},
        {"get_job_logs", [&]() -> net::awaitable<void> { co_await q.get_job_logs(job_id, 0, -1); }},
        {"remove", [&]() -> net::awaitable<void> { co_await q.remove(job_id); }},
    };
    for (const auto& [what, call] : calls) {
      try {
        auto running = call();
        co_await std::move(running);
        ADD_FAILURE() << what << " did not fail";
      } catch (const error& e) {
        EXPECT_TRUE(e.is(errc::redis_error) || e.is(errc::script_error) || e.is(errc::redis_unavailable))
            << what << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find("NOAUTH"), std::string::npos) << what << ": " << e.what();
      }
    }
    q.close();
  });
}

}  // namespace
}  // namespace drover
