// change_priority_test.cpp - changePriority's keys and arguments as Node's Job.changePriority sends them.
#include "core/scripts/change_priority.hpp"

#include "drover/error.hpp"
#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::int_reply;
using test::keys;

TEST(change_priority, packs_seven_keys_then_priority_prefix_id_and_lifo) {
  auto call = change_priority::of(keys(), "7", 3, true).pack();
  expect_packed(call, lua::change_priority, 7,
                {"bull:q:wait", "bull:q:paused", "bull:q:meta", "bull:q:prioritized", "bull:q:active", "bull:q:pc",
                 "bull:q:marker", "3", "bull:q:", "7", "1"});
}

TEST(change_priority, a_missing_job_is_job_not_found) {
  auto call = change_priority::of(keys(), "7", 3, false);
  EXPECT_EQ(call.parse(int_reply(0)), 0);
  try {
    call.parse(int_reply(-1));
    FAIL() << "no error for -1";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::job_not_found));
  }
}

}  // namespace
}  // namespace drover::detail::scripts
