// get_ranges_test.cpp - getRanges: range, order and states; a list state's ids reversed
// when ascending, as Node's getRanges does; each id once.
#include "core/scripts/get_ranges.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::array_reply;
using test::expect_packed;
using test::keys;
using test::str_reply;

TEST(get_ranges, packs_range_order_then_each_state_once) {
  auto call = get_ranges::of(keys(), {"waiting", "wait", "failed"}, 0, 9, true).pack();
  expect_packed(call, lua::get_ranges, 1, {"bull:q:", "0", "9", "1", "wait", "failed"});
}

TEST(get_ranges, ascending_lists_are_reversed_and_each_id_comes_once) {
  auto g = get_ranges::of(keys(), {"waiting", "failed", "active"}, 0, -1, true);
  auto packed = std::move(g).pack();  // as scripts::run does: parse() after pack()
  auto reply =
      array_reply({array_reply({str_reply("3"), str_reply("2")}), array_reply({str_reply("7"), str_reply("2")}),
                   array_reply({str_reply("9"), str_reply("8")})});
  EXPECT_EQ(g.parse(reply), (get_ranges::result{"2", "3", "7", "8", "9"}));
  auto newest_first = get_ranges::of(keys(), {"waiting"}, 0, -1, false);
  auto listed = array_reply({array_reply({str_reply("3"), str_reply("2")})});
  EXPECT_EQ(newest_first.parse(listed), (get_ranges::result{"3", "2"}));
}

}  // namespace
}  // namespace drover::detail::scripts
