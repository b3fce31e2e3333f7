// move_jobs_to_wait_test.cpp - moveJobsToWait's keys and arguments.
#include "core/scripts/move_jobs_to_wait.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(move_jobs_to_wait, packs_a_batch_of_failed_jobs) {
  auto call = move_jobs_to_wait::of(keys(), "failed", 1000, "1700000000000").pack();
  expect_packed(call, lua::move_jobs_to_wait, 8,
                {"bull:q:", "bull:q:events", "bull:q:failed", "bull:q:wait", "bull:q:paused", "bull:q:meta",
                 "bull:q:active", "bull:q:marker", "1000", "1700000000000", "failed"});
}

TEST(move_jobs_to_wait, one_means_more_to_move) {
  auto m = move_jobs_to_wait::of(keys(), "delayed", 1000, "1.7976931348623157e+308");
  EXPECT_TRUE(m.parse(test::int_reply(1)));
  EXPECT_FALSE(m.parse(test::int_reply(0)));
}

}  // namespace
}  // namespace drover::detail::scripts
