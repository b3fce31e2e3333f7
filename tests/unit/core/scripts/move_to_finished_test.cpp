// move_to_finished_test.cpp - moveToFinished's keys and arguments as Node's worker packs them, and its replies.
#include "core/scripts/move_to_finished.hpp"

#include "core/scripts/add_job.hpp"
#include "drover/error.hpp"
#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

job a_job() {
  job j;
  j.id = "42";
  j.opts.attempts = 3;
  return j;
}

worker_options a_worker() {
  worker_options opts;
  opts.lock_duration = std::chrono::milliseconds(30000);
  return opts;
}

TEST(move_to_finished, packs_a_completion) {
  auto call = move_to_finished::of(keys(), a_job(), "tok", true, R"({"ok":true})", "", true, a_worker(), 1000).pack();
  ASSERT_EQ(call.args.size(), 23u);
  const auto options = call.args[21];
  call.args[21] = "<options>";
  expect_packed(call, lua::move_to_finished, 14,
                {"bull:q:wait",
                 "bull:q:active",
                 "bull:q:prioritized",
                 "bull:q:events",
                 "bull:q:stalled",
                 "bull:q:limiter",
                 "bull:q:delayed",
                 "bull:q:paused",
                 "bull:q:meta",
                 "bull:q:pc",
                 "bull:q:completed",
                 "bull:q:42",
                 "bull:q:metrics:completed",
                 "bull:q:marker",
                 "42",
                 "1000",
                 "returnvalue",
                 R"({"ok":true})",
                 "completed",
                 "1",
                 "bull:q:",
                 "<options>",
                 ""});
  EXPECT_EQ(
      unpacked(options),
      R"({"token":"tok","keepJobs":{"count":-1},"lockDuration":30000,"attempts":3,"maxMetricsSize":"","fpof":false})");
}

TEST(move_to_finished, packs_a_failure_with_its_fields) {
  auto opts = a_worker();
  opts.name = "w1";
  opts.metrics_max_data_points = 100;
  opts.remove_on_fail = 10;
  auto fields = job_fields({"failedReason", "boom", "stacktrace", "[]"});
  auto call = move_to_finished::of(keys(), a_job(), "tok", false, "boom", fields, false, opts, 1000).pack();
  EXPECT_EQ(call.args[10], "bull:q:failed");
  EXPECT_EQ(call.args[12], "bull:q:metrics:failed");
  EXPECT_EQ(call.args[16], "failedReason");
  EXPECT_EQ(call.args[17], "boom");
  EXPECT_EQ(call.args[18], "failed");
  EXPECT_EQ(call.args[19], "0");
  EXPECT_EQ(
      unpacked(call.args[21]),
      R"({"token":"tok","keepJobs":{"count":10},"lockDuration":30000,"attempts":3,"maxMetricsSize":100,"name":"w1","fpof":false})");
  EXPECT_EQ(unpacked(call.args[22]), R"(["failedReason","boom","stacktrace","[]"])");
}

// A fetch next must respect the worker's limiter as moveToActive does: Node's worker sends
// it with every finish, and a limited fetch answers the limiter's wait (and emits no
// `drained`).
TEST(move_to_finished, carries_the_workers_limiter_for_the_fetch_next) {
  auto opts = a_worker();
  opts.limiter = rate_limiter_options{3, std::chrono::milliseconds(200)};
  auto call = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", true, opts, 1000).pack();
  EXPECT_EQ(
      unpacked(call.args[21]),
      R"({"token":"tok","keepJobs":{"count":-1},"limiter":{"max":3,"duration":200},"lockDuration":30000,"attempts":3,"maxMetricsSize":"","fpof":false})");
}

TEST(move_to_finished, a_guarded_failure_runs_the_lean_script_too) {
  auto plain = move_to_finished::of(keys(), a_job(), "tok", false, "boom", "", false, a_worker(), 1000).pack();
  auto m = move_to_finished::of(keys(), a_job(), "tok", false, "boom", "", false, a_worker(), 1000);
  m.unless_cancelled = true;
  auto call = std::move(m).pack();
  EXPECT_EQ(call.script, &lua::move_to_finished_lean);
  EXPECT_EQ(call.args, plain.args);
}

TEST(move_to_finished, a_guarded_completion_runs_the_lean_script_with_the_same_arguments) {
  auto plain = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", true, a_worker(), 1000).pack();
  auto m = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", true, a_worker(), 1000);
  m.unless_cancelled = true;
  auto call = std::move(m).pack();
  EXPECT_EQ(call.script, &lua::move_to_finished_lean);
  EXPECT_EQ(lua::move_to_finished_lean.num_keys, 14);
  EXPECT_EQ(call.args, plain.args);
}

TEST(move_to_finished, a_failure_with_its_dead_letter_puts_the_entrys_add_after_each_half) {
  auto m = move_to_finished::of(keys(), a_job(), "tok", false, "boom", "", false, a_worker(), 1000);
  static const queue_keys dlq("bull", "q-dlq");
  add_job_args entry;
  entry.prefix = dlq.base();
  entry.custom_id = "q-42-1000";
  entry.data = "{}";
  entry.opts = "o";
  m.dead_letter = add_standard_job::of(dlq, std::move(entry)).pack();
  auto call = std::move(m).pack();
  EXPECT_EQ(call.script, &lua::move_to_finished_with_dead_letter);
  EXPECT_EQ(lua::move_to_finished_with_dead_letter.num_keys, 23);
  ASSERT_EQ(call.args.size(), 36u);
  EXPECT_EQ(call.args[13], "bull:q:marker");    // moveToFinished's last key
  EXPECT_EQ(call.args[14], "bull:q-dlq:wait");  // then the entry's add's keys
  EXPECT_EQ(call.args[22], "bull:q-dlq:marker");
  EXPECT_EQ(call.args[23], "42");  // then moveToFinished's arguments
  EXPECT_EQ(call.args[27], "failed");
  EXPECT_EQ(call.args[33], "{}");  // then the add's: its data, its options
  EXPECT_EQ(call.args[34], "o");
  EXPECT_EQ(call.args[35], "0");  // then the most entries kept: all
}

TEST(move_to_finished, a_dead_letter_names_the_most_entries_kept_last) {
  auto m = move_to_finished::of(keys(), a_job(), "tok", false, "boom", "", false, a_worker(), 1000);
  static const queue_keys dlq("bull", "q-dlq");
  m.dead_letter = add_standard_job::of(dlq, add_job_args{}).pack();
  m.dead_letters_kept = 7;
  auto call = std::move(m).pack();
  EXPECT_EQ(call.args.back(), "7");
}

TEST(move_to_finished, a_completion_takes_no_dead_letter) {
  auto m = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", false, a_worker(), 1000);
  static const queue_keys dlq("bull", "q-dlq");
  m.dead_letter = add_standard_job::of(dlq, add_job_args{}).pack();
  EXPECT_THROW(std::move(m).pack(), error);
}

TEST(keep_jobs, the_jobs_option_wins_over_the_workers) {
  namespace json = boost::json;
  const struct {
    json::value job_option, worker_option;
    const char* expected;
  } cases[] = {
      {nullptr, nullptr, R"({"count":-1})"},
      {true, nullptr, R"({"count":0})"},
      {false, true, R"({"count":-1})"},
      {nullptr, 5, R"({"count":5})"},
      {json::object{{"age", 60}}, nullptr, R"({"age":60,"count":-1})"},
  };
  for (const auto& c : cases) EXPECT_EQ(json::serialize(keep_jobs(c.job_option, c.worker_option)), c.expected);
}

// What Node's producers may store: its own worker passes these on as they are.
TEST(keep_jobs, reads_loosely_typed_counts_as_node_does_without_throwing) {
  namespace json = boost::json;
  const struct {
    json::value option;
    const char* expected;
  } cases[] = {
      {2.5, R"({"count":2})"},
      {1e300, R"({"count":9007199254740992})"},
      {json::value(std::uint64_t{10000000000000000000ULL}), R"({"count":9007199254740992})"},
      {json::value(std::int64_t{1000000000000000000LL}), R"({"count":9007199254740992})"},
      {json::object{{"count", 1e18}}, R"({"count":9007199254740992})"},
      {json::object{{"age", 5}, {"count", 2.5}}, R"({"age":5,"count":2})"},
      {-7.5, R"({"count":-1})"},
      {"10", R"({"count":0})"},
      {"false", R"({"count":0})"},
      {"", R"({"count":-1})"},
      {json::array{}, R"({"count":-1})"},
  };
  for (const auto& c : cases) {
    EXPECT_NO_THROW(EXPECT_EQ(json::serialize(keep_jobs(c.option, nullptr)), c.expected) << json::serialize(c.option));
  }
}

TEST(move_to_finished, reads_the_guards_answer) {
  using test::array_reply;
  using test::str_reply;
  auto m = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", true, a_worker(), 1000);
  m.unless_cancelled = true;
  auto r = array_reply({str_reply("drover:cancel"), str_reply(R"({"reason":"x"})")});
  auto out = m.parse(r);
  EXPECT_EQ(out.cancel_request, R"({"reason":"x"})");
  EXPECT_FALSE(out.next);
}

TEST(move_to_finished, a_zero_reply_to_a_fetching_finish_is_no_job) {
  auto m = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", true, a_worker(), 1000);
  auto zero = test::int_reply(0);
  auto out = m.parse(zero);
  ASSERT_TRUE(out.next);
  EXPECT_FALSE(out.next->next);
  EXPECT_EQ(out.next->next_delayed_ms, 0);
  auto no_fetch = move_to_finished::of(keys(), a_job(), "tok", true, "null", "", false, a_worker(), 1000);
  EXPECT_FALSE(no_fetch.parse(zero).next);
}

}  // namespace
}  // namespace drover::detail::scripts
