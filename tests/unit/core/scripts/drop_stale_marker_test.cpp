// drop_stale_marker_test.cpp - dropStaleMarker's keys, and its answer read.
#include "core/scripts/drop_stale_marker.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::int_reply;
using test::keys;

TEST(drop_stale_marker, packs_marker_wait_and_prioritized_and_no_arguments) {
  auto call = drop_stale_marker::of(keys()).pack();
  expect_packed(call, lua::drop_stale_marker, 3, {"bull:q:marker", "bull:q:wait", "bull:q:prioritized"});
}

TEST(drop_stale_marker, reads_whether_the_marker_went) {
  auto w = drop_stale_marker::of(keys());
  EXPECT_TRUE(w.parse(int_reply(1)));
  EXPECT_FALSE(w.parse(int_reply(0)));
}

}  // namespace
}  // namespace drover::detail::scripts
