// raise_id_counter_test.cpp - drover's raiseIdCounter: the counter and the floor, and
// the value it raised from.
#include "core/scripts/raise_id_counter.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(raise_id_counter, packs_the_counter_then_the_floor) {
  auto call = raise_id_counter::of(keys(), 41).pack();
  expect_packed(call, lua::raise_id_counter, 1, {"bull:q:id", "41"});
}

// Sent whole: in front of the adds it cannot meet NOSCRIPT, and their pipeline then
// needs no SCRIPT EXISTS round trip (script_runner.cpp).
TEST(raise_id_counter, is_sent_whole_with_eval) {
  EXPECT_TRUE(lua::raise_id_counter.sent_whole);
  EXPECT_FALSE(lua::add_standard_job_lean.sent_whole);
  auto call = raise_id_counter::of(keys(), 41).pack();
  auto cmd = script_command(*call.script, call.args);
  ASSERT_EQ(cmd.args().size(), 5u);
  EXPECT_EQ(cmd.args()[0], "EVAL");
  EXPECT_EQ(cmd.args()[1], lua::raise_id_counter.source);
  EXPECT_EQ(cmd.args()[2], "1");
  EXPECT_EQ(cmd.args()[3], "bull:q:id");
  EXPECT_EQ(cmd.args()[4], "41");
}

TEST(raise_id_counter, reads_what_it_raised_from_and_nothing_when_it_wrote_nothing) {
  auto c = raise_id_counter::of(keys(), 41);
  EXPECT_EQ(c.parse(test::int_reply(0)), std::optional<std::int64_t>(0));
  EXPECT_EQ(c.parse(test::int_reply(7)), std::optional<std::int64_t>(7));
  EXPECT_EQ(c.parse(test::int_reply(-1)), std::nullopt);
  EXPECT_THROW(c.parse(test::str_reply("7")), error);
}

}  // namespace
}  // namespace drover::detail::scripts
