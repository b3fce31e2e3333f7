// pause_test.cpp - pause: the same script pauses and resumes, its lists swapped.
#include "core/scripts/pause.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(pause, moves_wait_to_paused_and_emits) {
  auto call = pause::of(keys(), true).pack();
  expect_packed(call, lua::pause, 7,
                {"bull:q:wait", "bull:q:paused", "bull:q:meta", "bull:q:prioritized", "bull:q:events", "bull:q:delayed",
                 "bull:q:marker", "paused", "1"});
}

TEST(pause, resumes_with_the_lists_swapped_and_the_event_optional) {
  auto call = pause::of(keys(), false, false).pack();
  expect_packed(call, lua::pause, 7,
                {"bull:q:paused", "bull:q:wait", "bull:q:meta", "bull:q:prioritized", "bull:q:events", "bull:q:delayed",
                 "bull:q:marker", "resumed", "0"});
}

}  // namespace
}  // namespace drover::detail::scripts
