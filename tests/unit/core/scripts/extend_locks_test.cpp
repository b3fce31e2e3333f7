// extend_locks_test.cpp - extendLocks' key and arguments, and the ids it answers.
#include "core/scripts/extend_locks.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

TEST(extend_locks, packs_tokens_and_ids_as_two_lists) {
  auto call = extend_locks::of(keys(), {"1", "2"}, {"t1", "t2"}, 30000).pack();
  ASSERT_EQ(call.args.size(), 5u);
  EXPECT_EQ(unpacked(call.args[2]), R"(["t1","t2"])");
  EXPECT_EQ(unpacked(call.args[3]), R"(["1","2"])");
  call.args[2] = call.args[3] = "";
  expect_packed(call, lua::extend_locks, 1, {"bull:q:stalled", "bull:q:", "", "", "30000"});
}

TEST(extend_locks, answers_the_ids_whose_lock_is_lost) {
  auto e = extend_locks::of(keys(), {"1"}, {"t"}, 1);
  auto reply = test::array_reply({test::str_reply("1")});
  EXPECT_EQ(e.parse(reply), (std::vector<std::string>{"1"}));
}

}  // namespace
}  // namespace drover::detail::scripts
