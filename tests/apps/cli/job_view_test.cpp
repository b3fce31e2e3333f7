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

}  // namespace
}  // namespace drover::cli
