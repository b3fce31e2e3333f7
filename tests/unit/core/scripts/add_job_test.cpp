// add_job_test.cpp - the three add scripts: which one an add takes, their keys, and the
// arguments they share.
#include "core/scripts/add_job.hpp"

#include "add_args.hpp"
#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

add_job_args some_args() { return test::an_add(1000); }

TEST(add_job, a_plain_job_is_standard) {
  auto call = pack_add(keys(), some_args(), 0, 0);
  ASSERT_EQ(call.args.size(), 12u);
  EXPECT_EQ(unpacked(call.args[9]), R"(["bull:q:","","send",1000,null,null,null,null,null,null])");
  call.args[9] = "<argv1>";
  expect_packed(call, lua::add_standard_job, 9,
                {"bull:q:wait", "bull:q:paused", "bull:q:meta", "bull:q:id", "bull:q:completed", "bull:q:delayed",
                 "bull:q:active", "bull:q:events", "bull:q:marker", "<argv1>", R"({"x":1})", "<opts>"});
}

TEST(add_job, a_job_with_a_priority_is_prioritized) {
  auto call = pack_add(keys(), some_args(), 0, 3);
  call.args[9] = "<argv1>";
  expect_packed(call, lua::add_prioritized_job, 9,
                {"bull:q:marker", "bull:q:meta", "bull:q:id", "bull:q:prioritized", "bull:q:delayed",
                 "bull:q:completed", "bull:q:active", "bull:q:events", "bull:q:pc", "<argv1>", R"({"x":1})", "<opts>"});
}

TEST(add_job, a_delay_wins_over_a_priority) {
  auto call = pack_add(keys(), some_args(), 500, 3);
  call.args[6] = "<argv1>";
  expect_packed(call, lua::add_delayed_job, 6,
                {"bull:q:marker", "bull:q:meta", "bull:q:id", "bull:q:delayed", "bull:q:completed", "bull:q:events",
                 "<argv1>", R"({"x":1})", "<opts>"});
}

TEST(add_job, sends_the_custom_id_and_the_deduplication_key) {
  auto a = some_args();
  a.custom_id = "mine";
  a.deduplication_key = "bull:q:de:d1";
  auto call = pack_add(keys(), std::move(a), 0, 0);
  EXPECT_EQ(unpacked(call.args[9]), R"(["bull:q:","mine","send",1000,null,null,null,null,"bull:q:de:d1",null])");
}

TEST(add_job, reads_the_new_id) {
  EXPECT_EQ(parse_added_id(test::str_reply("17"), lua::add_standard_job, ""), "17");
  EXPECT_EQ(parse_added_id(test::int_reply(17), lua::add_standard_job, ""), "17");
  EXPECT_THROW(parse_added_id(test::int_reply(-5), lua::add_standard_job, "mine"), error);
  EXPECT_THROW(parse_added_id(test::str_reply(""), lua::add_standard_job, ""), error);
}

}  // namespace
}  // namespace drover::detail::scripts
