// move_to_delayed_test.cpp - moveToDelayed's keys and arguments.
#include "core/scripts/move_to_delayed.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

TEST(move_to_delayed, packs_eleven_keys_then_nine_arguments) {
  auto call = move_to_delayed::of(keys(), "6", "tok", 2000, "<fields>", 1000).pack();
  expect_packed(call, lua::move_to_delayed, 11,
                {"bull:q:marker",
                 "bull:q:active",
                 "bull:q:prioritized",
                 "bull:q:delayed",
                 "bull:q:6",
                 "bull:q:events",
                 "bull:q:meta",
                 "bull:q:stalled",
                 "bull:q:wait",
                 "bull:q:limiter",
                 "bull:q:pc",
                 "bull:q:",
                 "1000",
                 "6",
                 "tok",
                 "2000",
                 "0",
                 "<fields>",
                 "0",
                 ""});
}

}  // namespace
}  // namespace drover::detail::scripts
