// move_job_from_active_to_wait_test.cpp - moveJobFromActiveToWait's keys and arguments.
#include "core/scripts/move_job_from_active_to_wait.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

TEST(move_job_from_active_to_wait, packs_nine_keys_then_id_token_and_job_hash) {
  auto call = move_job_from_active_to_wait::of(keys(), "3", "tok").pack();
  expect_packed(call, lua::move_job_from_active_to_wait, 9,
                {"bull:q:active", "bull:q:wait", "bull:q:stalled", "bull:q:paused", "bull:q:meta", "bull:q:limiter",
                 "bull:q:prioritized", "bull:q:marker", "bull:q:events", "3", "tok", "bull:q:3"});
}

}  // namespace
}  // namespace drover::detail::scripts
