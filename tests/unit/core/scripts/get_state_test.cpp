// get_state_test.cpp - getStateV2's keys and argument.
#include "core/scripts/get_state.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(get_state, packs_the_eight_state_keys_then_the_id) {
  auto call = get_state::of(keys(), "11").pack();
  expect_packed(call, lua::get_state_v2, 8,
                {"bull:q:completed", "bull:q:failed", "bull:q:delayed", "bull:q:active", "bull:q:wait", "bull:q:paused",
                 "bull:q:waiting-children", "bull:q:prioritized", "11"});
}

}  // namespace
}  // namespace drover::detail::scripts
