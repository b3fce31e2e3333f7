// get_counts_test.cpp - getCounts: the prefix, the state names as keys, and one count per state.
#include "core/scripts/get_counts.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(get_counts, sends_waiting_as_wait) {
  auto call = get_counts::of(keys(), {"waiting", "active", "completed"}).pack();
  expect_packed(call, lua::get_counts, 1, {"bull:q:", "wait", "active", "completed"});
}

TEST(get_counts, counts_each_state_and_zero_where_the_reply_has_none) {
  auto c = get_counts::of(keys(), {"waiting", "active", "failed"});
  auto reply = test::array_reply({test::int_reply(4), test::int_reply(2)});
  EXPECT_EQ(c.parse(reply), (std::vector<std::int64_t>{4, 2, 0}));
}

}  // namespace
}  // namespace drover::detail::scripts
