// retry_decision_test.cpp - what becomes of a failed attempt (Node's shouldRetryJob) and
// the stack traces a failure leaves.
#include "core/retry_decision.hpp"

#include <gtest/gtest.h>

namespace drover::detail {
namespace {

job with_attempts(std::int64_t attempts, std::int64_t made) {
  job j;
  j.id = "1";
  j.name = "task";
  j.opts.attempts = attempts;
  j.attempts_made = made;
  j.attempts_started = made + 1;
  return j;
}

TEST(retry_delay, retries_at_once_while_attempts_remain_and_stops_after) {
  worker_options o;
  EXPECT_EQ(retry_delay(with_attempts(3, 0), "x", false, o, "q"), 0);
  EXPECT_EQ(retry_delay(with_attempts(3, 1), "x", false, o, "q"), 0);
  EXPECT_EQ(retry_delay(with_attempts(3, 2), "x", false, o, "q"), std::nullopt);
  EXPECT_EQ(retry_delay(with_attempts(0, 0), "x", false, o, "q"), std::nullopt);
}

TEST(retry_delay, unrecoverable_and_started_enough_fail_for_good) {
  worker_options o;
  EXPECT_EQ(retry_delay(with_attempts(5, 0), "x", true, o, "q"), std::nullopt);
  o.max_started_attempts = 2;
  auto j = with_attempts(5, 1);  // started twice
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), std::nullopt);
}

// Node's shouldRetryJob: a delay of -1 is no retry, whichever strategy gave it; another
// negative delay is a retry (promoted at once from delayed).
TEST(retry_delay, a_builtin_delay_of_minus_one_fails_for_good_as_in_node) {
  worker_options o;
  auto j = with_attempts(5, 0);
  j.opts.backoff = backoff_options{"fixed", -1, std::nullopt};
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), std::nullopt);
  j.opts.backoff = backoff_options{"fixed", -100, std::nullopt};
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), -100);
}

TEST(retry_delay, the_backoff_decides_the_delay_and_a_strategy_the_unknown_types) {
  worker_options o;
  auto j = with_attempts(5, 0);
  j.opts.backoff = backoff_options{"fixed", 750, std::nullopt};
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), 750);
  j.opts.backoff = backoff_options{"linear", 100, std::nullopt};
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), std::nullopt);  // unknown, no strategy
  o.backoff_strategy = [](std::int64_t made, const std::string& type, const std::string& reason,
                          const job&) -> std::optional<std::int64_t> {
    if (reason == "stop") return std::nullopt;
    return type == "linear" ? made * 1000 : -1;
  };
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), 1000);
  EXPECT_EQ(retry_delay(j, "stop", false, o, "q"), std::nullopt);
  j.opts.backoff = backoff_options{"odd", 100, std::nullopt};
  EXPECT_EQ(retry_delay(j, "x", false, o, "q"), std::nullopt);  // a negative delay: no retry
}

TEST(stack_traces_with, adds_this_failure_and_keeps_the_limit) {
  auto j = with_attempts(3, 1);
  j.stacktrace = {"first", "second"};
  auto all = stack_traces_with(j, "boom", "q");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].as_string(), "Error: boom\n    at task (drover worker, queue q)");
  j.opts.stack_trace_limit = 2;
  auto kept = stack_traces_with(j, "boom", "q");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].as_string(), "second");
}

TEST(stack_traces_with, names_an_unrecoverable_failure_as_node_does) {
  auto j = with_attempts(3, 1);
  auto traces = stack_traces_with(j, "bad input", "q", true);
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(traces[0].as_string(), "UnrecoverableError: bad input\n    at task (drover worker, queue q)");
}

TEST(stack_traces_with, writes_only_the_name_for_an_empty_message_as_v8_does) {
  auto traces = stack_traces_with(with_attempts(3, 1), "", "q");
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(traces[0].as_string(), "Error\n    at task (drover worker, queue q)");
}

}  // namespace
}  // namespace drover::detail
