// drain_test.cpp - drain's keys and arguments.
#include "core/scripts/drain.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(drain, packs_the_waiting_sets_then_prefix_and_delayed_flag) {
  auto call = drain::of(keys(), true).pack();
  expect_packed(
      call, lua::drain, 5,
      {"bull:q:wait", "bull:q:paused", "bull:q:delayed", "bull:q:prioritized", "bull:q:repeat", "bull:q:", "1"});
  EXPECT_EQ(drain::of(keys(), false).pack().args.back(), "0");
}

}  // namespace
}  // namespace drover::detail::scripts
