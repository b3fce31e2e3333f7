// promote_test.cpp - promote's keys and arguments.
#include "core/scripts/promote.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(promote, packs_nine_keys_then_prefix_and_id) {
  auto call = promote::of(keys(), "12").pack();
  expect_packed(call, lua::promote, 9,
                {"bull:q:delayed", "bull:q:wait", "bull:q:paused", "bull:q:meta", "bull:q:prioritized", "bull:q:active",
                 "bull:q:pc", "bull:q:events", "bull:q:marker", "bull:q:", "12"});
}

TEST(promote, a_job_not_delayed_is_an_error) {
  EXPECT_THROW(promote::of(keys(), "12").parse(test::int_reply(-3)), error);
}

}  // namespace
}  // namespace drover::detail::scripts
