// job_scheduler_test.cpp - the next iteration as BullMQ's JobScheduler computes it in Node:
// limit, end date, start date, immediately, and the options the delayed job is stored with.
#include "core/job_scheduler.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "drover/error.hpp"
#include "drover/job_scheduler.hpp"

namespace json = boost::json;
using drover::detail::has_legacy_repeat_key_shape;
using drover::detail::plan_next_iteration;
using drover::detail::scheduler_request;

namespace {

constexpr std::int64_t jan_1_2026 = 1767225600000;  // 2026-01-01T00:00:00Z

scheduler_request request(const char* repeat) {
  scheduler_request r;
  r.id = "s";
  r.name = "job";
  r.repeat = json::parse(repeat).as_object();
  r.opts = json::parse(R"({"attempts":2})").as_object();
  return r;
}

}  // namespace

TEST(job_scheduler, pattern_runs_next_in_its_zone) {
  auto plan = plan_next_iteration(request(R"({"pattern":"0 9 * * *","tz":"Europe/Berlin"})"), jan_1_2026, 0);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->next_millis, jan_1_2026 + 8 * 3600000);  // 09:00 CET is 08:00 UTC
  EXPECT_EQ(plan->job_opts.at("jobId").as_string(), "repeat:s:" + std::to_string(jan_1_2026 + 8 * 3600000));
  EXPECT_EQ(plan->job_opts.at("delay"), 8 * 3600000);
  EXPECT_EQ(plan->job_opts.at("prevMillis"), jan_1_2026 + 8 * 3600000);
  EXPECT_EQ(plan->job_opts.at("repeatJobKey"), "s");
  EXPECT_EQ(plan->job_opts.at("attempts"), 2);
  EXPECT_EQ(plan->job_opts.at("repeat").at("count"), 1);
  EXPECT_EQ(plan->scheduler_opts.at("pattern"), "0 9 * * *");
  EXPECT_EQ(plan->scheduler_opts.at("tz"), "Europe/Berlin");
  EXPECT_FALSE(plan->scheduler_opts.contains("offset"));
}

TEST(job_scheduler, counting_continues_from_the_previous_iteration) {
  auto plan =
      plan_next_iteration(request(R"({"pattern":"0 * * * *","tz":"UTC","count":4})"), jan_1_2026, jan_1_2026 + 3600000);
  ASSERT_TRUE(plan);
  // Counted from the previous run time when that is later than now.
  EXPECT_EQ(plan->next_millis, jan_1_2026 + 2 * 3600000);
  EXPECT_EQ(plan->job_opts.at("repeat").at("count"), 5);
}

TEST(job_scheduler, limit_and_end_date_end_the_schedule) {
  EXPECT_FALSE(plan_next_iteration(request(R"({"every":1000,"limit":3,"count":3})"), jan_1_2026, 0));
  EXPECT_TRUE(plan_next_iteration(request(R"({"every":1000,"limit":3,"count":2})"), jan_1_2026, 0));
  EXPECT_FALSE(plan_next_iteration(request(R"({"every":1000,"limit":0})"), jan_1_2026, 0));
  EXPECT_FALSE(plan_next_iteration(request(R"({"every":1000,"endDate":1767225599000})"), jan_1_2026, 0));
  // The next cron run would be after the end date.
  EXPECT_FALSE(
      plan_next_iteration(request(R"({"pattern":"0 0 * * *","tz":"UTC","endDate":1767229200000})"), jan_1_2026, 0));
}

TEST(job_scheduler, start_date_and_immediately) {
  auto later =
      plan_next_iteration(request(R"({"pattern":"0 0 * * *","tz":"UTC","startDate":1767830400000})"), jan_1_2026, 0);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->next_millis, 1767830400000 + 86400000);  // strictly after the start, as cron-parser
  EXPECT_EQ(later->scheduler_opts.at("startDate"), 1767830400000);

  auto req = request(R"({"pattern":"0 0 1 1 *","tz":"UTC"})");
  req.immediately = true;
  auto now = plan_next_iteration(req, jan_1_2026 + 5, 0);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->next_millis, jan_1_2026 + 5);
  EXPECT_EQ(now->job_opts.at("delay"), 0);
}

TEST(job_scheduler, every_is_left_to_the_script) {
  auto plan = plan_next_iteration(request(R"({"every":5000,"offset":250})"), jan_1_2026, 0);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->next_millis);
  EXPECT_FALSE(plan->job_opts.contains("prevMillis"));
  EXPECT_EQ(plan->job_opts.at("repeat").at("offset"), 250);
  EXPECT_EQ(plan->scheduler_opts.at("every"), 5000);
  EXPECT_EQ(plan->scheduler_opts.at("offset"), 250);
}

// Node's user may give numbers as text (an environment variable): JavaScript's arithmetic
// and comparisons take "700" for 700, so a Node worker keeps such a scheduler going.
TEST(job_scheduler, numbers_given_as_text_count_as_numbers) {
  auto plan = plan_next_iteration(request(R"({"every":"700"})"), jan_1_2026, 0);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->scheduler_opts.at("every"), 700);
  EXPECT_FALSE(plan_next_iteration(request(R"({"every":700,"limit":"3","count":3})"), jan_1_2026, 0));
  EXPECT_TRUE(plan_next_iteration(request(R"({"every":700,"limit":"3","count":"2"})"), jan_1_2026, 0));
  EXPECT_THROW(plan_next_iteration(request(R"({"every":"soon"})"), jan_1_2026, 0), drover::error);
}

TEST(job_scheduler, bad_pattern_is_refused) {
  EXPECT_THROW(plan_next_iteration(request(R"({"pattern":"0 0 32 * *"})"), jan_1_2026, 0), drover::error);
  EXPECT_THROW(plan_next_iteration(request(R"({"pattern":"0 0 * * *","tz":"No/Where"})"), jan_1_2026, 0),
               drover::error);
  EXPECT_THROW(plan_next_iteration(request(R"({})"), jan_1_2026, 0), drover::error);
}

TEST(job_scheduler, legacy_repeat_keys_are_told_apart) {
  struct row {
    const char* key;
    bool legacy;
  } rows[] = {{"report::::0 0 * * *", true}, {"tick:abc::UTC:5000", true}, {"tick:abc:1767225600000::5000", true},
              {"my-scheduler", false},       {"a:b:c:d:", false},          {"a:b:notdigits:d:5000", false},
              {"a:b:c:d:e", false}};
  for (const auto& r : rows) EXPECT_EQ(has_legacy_repeat_key_shape(r.key), r.legacy) << r.key;
}

// A schedules review: a nanosecond timestamp as startDate was taken (beyond JavaScript's
// dates, which Node refuses) and made a daily schedule fire at once; ".5Z" read as 5 ms
// and "T99:99:99Z" as four days later.
TEST(job_scheduler, dates_are_read_as_javascript_reads_them_or_refused) {
  auto start = [](const char* repeat) { return drover::repeat_options::from_json(json::parse(repeat)).start_date; };
  EXPECT_EQ(start(R"({"every":1000,"startDate":1767225600000})"), jan_1_2026);
  EXPECT_EQ(start(R"({"every":1000,"startDate":"2026-01-01T00:00:00Z"})"), jan_1_2026);
  EXPECT_EQ(start(R"({"every":1000,"startDate":"2026-01-01T00:00:00.5Z"})"), jan_1_2026 + 500);
  EXPECT_EQ(start(R"({"every":1000,"startDate":"2026-01-01T00:00:00.05Z"})"), jan_1_2026 + 50);
  EXPECT_EQ(start(R"({"every":1000,"startDate":"2026-01-01T00:00:00.123456Z"})"), jan_1_2026 + 123);
  for (const char* bad : {R"({"every":1000,"startDate":1796600701000000000})", R"({"every":1000,"startDate":1e20})",
                          R"({"every":1000,"startDate":"2026-01-01T99:99:99Z"})",
                          R"({"every":1000,"startDate":"2026-01-01T00:00:00.-5Z"})",
                          R"({"every":1000,"startDate":"2026-01-01T00:00:00.Z"})", R"({"every":1e20})"}) {
    EXPECT_THROW(drover::repeat_options::from_json(json::parse(bad)), drover::error) << bad;
  }
}
