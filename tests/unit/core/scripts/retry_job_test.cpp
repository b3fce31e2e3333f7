// retry_job_test.cpp - retryJob's keys and arguments.
#include "core/scripts/retry_job.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;
using test::unpacked;

TEST(retry_job, packs_eleven_keys_then_six_arguments) {
  auto call = retry_job::of(keys(), "6", "tok", false, "<fields>", 1000).pack();
  expect_packed(call, lua::retry_job, 11,
                {"bull:q:active", "bull:q:wait", "bull:q:paused", "bull:q:6", "bull:q:meta", "bull:q:events",
                 "bull:q:delayed", "bull:q:prioritized", "bull:q:pc", "bull:q:marker", "bull:q:stalled",
                 "bull:q:", "1000", "LPUSH", "6", "tok", "<fields>"});
  EXPECT_EQ(retry_job::of(keys(), "6", "tok", true, "", 1000).pack().args[13], "RPUSH");
}

}  // namespace
}  // namespace drover::detail::scripts
