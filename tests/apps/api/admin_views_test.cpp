// admin_views_test.cpp - the admin API's rows, durations and search matching of jobs.
#include <gtest/gtest.h>

#include "api/admin_views.hpp"

using drover::job;
using namespace drover::api;

namespace {

job sample() {
  job j;
  j.id = "42";
  j.name = "Monthly-Report";
  j.timestamp = 1000;
  j.delay = 200;
  j.attempts_made = 2;
  j.progress = 50;
  return j;
}

}  // namespace

TEST(AdminViews, RowOfAWaitingJob) {
  auto o = job_row(sample());
  EXPECT_EQ(o.at("id"), "42");
  EXPECT_EQ(o.at("name"), "Monthly-Report");
  EXPECT_EQ(o.at("attemptsMade"), 2);
  EXPECT_EQ(o.at("progress"), 50);
  EXPECT_TRUE(o.at("processedOn").is_null());
  EXPECT_TRUE(o.at("finishedOn").is_null());
  EXPECT_TRUE(o.at("failedReason").is_null());
  EXPECT_FALSE(o.contains("data"));
}

TEST(AdminViews, LongFailedReasonsAreCut) {
  auto j = sample();
  j.failed_reason = std::string(1000, 'x');
  auto reason = job_row(j).at("failedReason").as_string();
  EXPECT_EQ(reason.size(), 303u);
  EXPECT_TRUE(reason.ends_with("..."));
}

TEST(AdminViews, DurationsCountFromWhenTheJobWasDue) {
  auto j = sample();
  boost::json::object o;
  add_durations(o, j);
  EXPECT_TRUE(o.at("waitTime").is_null());
  EXPECT_TRUE(o.at("processingTime").is_null());
  j.processed_on = 1500;  // due at 1200
  add_durations(o, j);
  EXPECT_EQ(o.at("waitTime"), 300);
  EXPECT_TRUE(o.at("processingTime").is_null());
  j.finished_on = 1750;
  add_durations(o, j);
  EXPECT_EQ(o.at("processingTime"), 250);
  j.processed_on = 1100;  // promoted before its delay ran out: no negative wait
  add_durations(o, j);
  EXPECT_EQ(o.at("waitTime"), 0);
}

TEST(AdminViews, SearchMatchesIdOrNameIgnoringCase) {
  auto j = sample();
  EXPECT_TRUE(job_matches(j, "42"));
  EXPECT_TRUE(job_matches(j, "4"));
  EXPECT_TRUE(job_matches(j, lower("MONTHLY")));
  EXPECT_TRUE(job_matches(j, "report"));
  EXPECT_FALSE(job_matches(j, "weekly"));
  EXPECT_EQ(lower("AbC-1"), "abc-1");
}
