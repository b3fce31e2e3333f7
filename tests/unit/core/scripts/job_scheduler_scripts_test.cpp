// job_scheduler_scripts_test.cpp - the four job scheduler scripts: addJobScheduler,
// updateJobScheduler (job_scheduler_scripts.cpp), getJobScheduler, removeJobScheduler.
#include <boost/json/parse.hpp>

#include "core/scripts/add_job_scheduler.hpp"
#include "core/scripts/get_job_scheduler.hpp"
#include "core/scripts/remove_job_scheduler.hpp"
#include "core/scripts/update_job_scheduler.hpp"
#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

scheduler_request a_request() {
  scheduler_request req;
  req.id = "every-minute";
  req.name = "tick";
  req.data = R"({"n":1})";
  req.opts = boost::json::object{{"attempts", 2}};
  return req;
}

scheduler_plan a_plan() {
  scheduler_plan plan;
  plan.next_millis = 60000;
  plan.job_opts = boost::json::object{{"delay", 5}, {"timestamp", 1000}};
  plan.scheduler_opts = boost::json::object{{"name", "tick"}, {"pattern", "* * * * *"}};
  return plan;
}

TEST(add_job_scheduler, packs_eleven_keys_then_nine_arguments) {
  auto call = add_job_scheduler::of(keys(), a_request(), a_plan()).pack();
  ASSERT_EQ(call.args.size(), 20u);
  EXPECT_EQ(unpacked(call.args[12]), R"({"name":"tick","pattern":"* * * * *"})");
  EXPECT_EQ(unpacked(call.args[15]), R"({"attempts":2})");
  EXPECT_EQ(unpacked(call.args[16]), R"({"delay":5,"timestamp":1000})");
  call.args[12] = call.args[15] = call.args[16] = "<packed>";
  expect_packed(call, lua::add_job_scheduler, 11,
                {"bull:q:repeat",      "bull:q:delayed", "bull:q:wait", "bull:q:paused", "bull:q:meta",
                 "bull:q:prioritized", "bull:q:marker",  "bull:q:id",   "bull:q:events", "bull:q:pc",
                 "bull:q:active",      "60000",          "<packed>",    "every-minute",  R"({"n":1})",
                 "<packed>",           "<packed>",       "1000",        "bull:q:",       ""});
}

TEST(add_job_scheduler, every_leaves_the_next_run_to_the_script) {
  auto plan = a_plan();
  plan.next_millis.reset();
  EXPECT_EQ(add_job_scheduler::of(keys(), a_request(), plan).pack().args[11], "");
}

TEST(add_job_scheduler, reads_the_job_and_its_delay) {
  auto a = add_job_scheduler::of(keys(), a_request(), a_plan());
  auto out = a.parse(test::array_reply({test::str_reply("repeat:every-minute:60000"), test::int_reply(59000)}));
  EXPECT_EQ(out.job_id, "repeat:every-minute:60000");
  EXPECT_EQ(out.delay, 59000);
  EXPECT_THROW(a.parse(test::int_reply(-10)), error);
}

TEST(update_job_scheduler, packs_twelve_keys_then_seven_arguments) {
  auto call = update_job_scheduler::of(keys(), a_request(), a_plan(), "repeat:every-minute:0").pack();
  ASSERT_EQ(call.args.size(), 19u);
  EXPECT_EQ(unpacked(call.args[15]), R"({"delay":5,"timestamp":1000})");
  call.args[15] = "<packed>";
  expect_packed(
      call, lua::update_job_scheduler, 12,
      {"bull:q:repeat", "bull:q:delayed", "bull:q:wait", "bull:q:paused", "bull:q:meta", "bull:q:prioritized",
       "bull:q:marker", "bull:q:id", "bull:q:events", "bull:q:pc", "bull:q:repeat:every-minute:0", "bull:q:active",
       "60000", "every-minute", R"({"n":1})", "<packed>", "1000", "bull:q:", "repeat:every-minute:0"});
}

TEST(update_job_scheduler, nothing_when_no_job_was_added) {
  auto u = update_job_scheduler::of(keys(), a_request(), a_plan(), "p");
  EXPECT_EQ(u.parse(redis::reply{}), std::nullopt);
  EXPECT_EQ(u.parse(test::str_reply("next")), "next");
}

TEST(get_job_scheduler, packs_repeat_then_the_id) {
  expect_packed(get_job_scheduler::of(keys(), "s").pack(), lua::get_job_scheduler, 1, {"bull:q:repeat", "s"});
}

TEST(get_job_scheduler, nothing_for_a_missing_scheduler) {
  auto g = get_job_scheduler::of(keys(), "s");
  auto missing = test::array_reply({redis::reply{}, redis::reply{}});
  EXPECT_FALSE(g.parse(missing));
  auto found = test::array_reply(
      {test::array_reply({test::str_reply("name"), test::str_reply("tick")}), test::str_reply("60000")});
  auto record = g.parse(found);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->fields_and_values.size(), 2u);
  EXPECT_EQ(record->next, "60000");
}

TEST(remove_job_scheduler, packs_three_keys_then_id_and_prefix) {
  auto call = remove_job_scheduler::of(keys(), "s").pack();
  expect_packed(call, lua::remove_job_scheduler, 3,
                {"bull:q:repeat", "bull:q:delayed", "bull:q:events", "s", "bull:q:"});
  auto r = remove_job_scheduler::of(keys(), "s");
  EXPECT_TRUE(r.parse(test::int_reply(0)));
  EXPECT_FALSE(r.parse(test::int_reply(1)));
}

}  // namespace
}  // namespace drover::detail::scripts
