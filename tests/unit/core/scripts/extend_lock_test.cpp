// extend_lock_test.cpp - extendLock's keys and arguments.
#include "core/scripts/extend_lock.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::int_reply;
using test::keys;

TEST(extend_lock, packs_lock_and_stalled_then_token_duration_and_id) {
  auto call = extend_lock::of(keys(), "7", "tok", 60000).pack();
  expect_packed(call, lua::extend_lock, 2, {"bull:q:7:lock", "bull:q:stalled", "tok", "60000", "7"});
}

TEST(extend_lock, one_means_extended) {
  auto w = extend_lock::of(keys(), "7", "tok", 1);
  EXPECT_TRUE(w.parse(int_reply(1)));
  EXPECT_FALSE(w.parse(int_reply(0)));
}

}  // namespace
}  // namespace drover::detail::scripts
