// move_stalled_jobs_to_wait_test.cpp - moveStalledJobsToWait's keys and arguments.
#include "core/scripts/move_stalled_jobs_to_wait.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

TEST(move_stalled_jobs_to_wait, packs_nine_keys_then_four_arguments) {
  auto call = move_stalled_jobs_to_wait::of(keys(), 1, 30000, 1000).pack();
  expect_packed(call, lua::move_stalled_jobs_to_wait, 9,
                {"bull:q:stalled", "bull:q:wait", "bull:q:active", "bull:q:stalled-check", "bull:q:meta",
                 "bull:q:paused", "bull:q:marker", "bull:q:events", "bull:q:repeat", "1", "bull:q:", "1000", "30000"});
}

}  // namespace
}  // namespace drover::detail::scripts
