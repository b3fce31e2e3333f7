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

TEST(raise_id_counter, reads_what_it_raised_from_and_nothing_when_it_wrote_nothing) {
  auto c = raise_id_counter::of(keys(), 41);
  EXPECT_EQ(c.parse(test::int_reply(0)), std::optional<std::int64_t>(0));
  EXPECT_EQ(c.parse(test::int_reply(7)), std::optional<std::int64_t>(7));
  EXPECT_EQ(c.parse(test::int_reply(-1)), std::nullopt);
  EXPECT_THROW(c.parse(test::str_reply("7")), error);
}

}  // namespace
}  // namespace drover::detail::scripts
