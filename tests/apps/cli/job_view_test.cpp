// job_view_test.cpp - a job's time as `drover queue jobs` and `queue job` show it: running
// only while it is active.
#include "job_view.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::cli {
namespace {

constexpr std::int64_t now = 1'700'000'700'000;

job started_once() {
  job j;
  j.id = "1";
  j.name = "slow";
  j.timestamp = now - 700'000;
  j.processed_on = now - 657'000;  // 10m57s ago
  return j;
}

std::string table_of(const job& j, const std::string& state) {
  std::ostringstream out;
  print_job_table(out, {listed_job{j, state}}, now);
  return out.str();
}

TEST(job_view, an_active_job_is_running) {
  EXPECT_NE(table_of(started_once(), "active").find("10m57s running"), std::string::npos);
}

TEST(job_view, a_job_handed_back_or_waiting_for_a_retry_is_not_running) {
  for (const char* state : {"waiting", "delayed"}) {
    const auto text = table_of(started_once(), state);
    EXPECT_EQ(text.find("running"), std::string::npos) << text;
    EXPECT_NE(text.find("10m57s since its last start"), std::string::npos) << text;
  }
  std::ostringstream detail;
  print_job_detail(detail, started_once(), job_state::waiting, {}, now);
  EXPECT_EQ(detail.str().find("running"), std::string::npos) << detail.str();
  EXPECT_NE(detail.str().find("last started"), std::string::npos) << detail.str();
}

// Promoting a queue's delayed jobs keeps their delay: one already waiting is due now (an operator's
// review: promoted jobs read "in 1h59m" while they waited).
TEST(job_view, a_promoted_job_is_due_now_and_a_delayed_one_later) {
  job j;
  j.id = "2";
  j.name = "later";
  j.timestamp = now - 60'000;
  j.delay = 2 * 3'600'000;
  for (const char* later : {"delayed", "waiting-children"}) {
    EXPECT_NE(table_of(j, later).find("in 1h59m"), std::string::npos) << table_of(j, later);
  }
  const auto promoted = table_of(j, "waiting");
  EXPECT_EQ(promoted.find("in 1h"), std::string::npos) << promoted;
  EXPECT_NE(promoted.find("now (promoted)"), std::string::npos) << promoted;
}

// A delayed job (a scheduler's) that came due and started at once waited nothing: BullMQ
// zeroes its stored delay then, and its wait was read from its creation (an outside
// review read "wait time 4.0s" of an every-4-s scheduler's jobs). A retried job's wait is
// not known, so not shown.
TEST(job_view, the_wait_counts_from_when_the_first_attempt_was_due) {
  job j;
  j.id = "repeat:hb:1";
  j.name = "hb";
  j.timestamp = now - 10'000;
  j.opts.delay = 4'000;
  j.delay = 0;  // as promoteDelayedJobs leaves it
  j.processed_on = now - 5'998;
  j.finished_on = now - 5'990;
  j.attempts_started = 1;
  std::ostringstream first;
  print_job_detail(first, j, job_state::completed, {}, now);
  EXPECT_NE(first.str().find("wait time  2ms"), std::string::npos) << first.str();
  j.attempts_started = 3;
  std::ostringstream retried;
  print_job_detail(retried, j, job_state::completed, {}, now);
  EXPECT_EQ(retried.str().find("wait time"), std::string::npos) << retried.str();
}

}  // namespace
}  // namespace drover::cli
