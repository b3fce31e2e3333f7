// active_locked_by_test.cpp - drover's activeLockedBy: the active list, the prefix and the
// token, and its list of ids.
#include "core/scripts/active_locked_by.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(active_locked_by, packs_active_then_prefix_and_token) {
  auto call = active_locked_by::of(keys(), "w1:7").pack();
  expect_packed(call, lua::active_locked_by, 1, {"bull:q:active", "bull:q:", "w1:7"});
}

TEST(active_locked_by, reads_the_ids_and_refuses_what_is_not_a_list) {
  using test::array_reply;
  using test::str_reply;
  auto c = active_locked_by::of(keys(), "w1:7");
  EXPECT_EQ(c.parse(array_reply({str_reply("4"), str_reply("9")})), (std::vector<std::string>{"4", "9"}));
  EXPECT_TRUE(c.parse(array_reply({})).empty());
  EXPECT_THROW(c.parse(test::int_reply(0)), error);
}

}  // namespace
}  // namespace drover::detail::scripts
