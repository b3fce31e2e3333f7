// reprocess_job_test.cpp - reprocessJob's keys and arguments.
#include "core/scripts/reprocess_job.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(reprocess_job, packs_a_failed_job) {
  auto call = reprocess_job::of(keys(), "8", "failed", false).pack();
  expect_packed(call, lua::reprocess_job, 9,
                {"bull:q:8", "bull:q:events", "bull:q:failed", "bull:q:wait", "bull:q:meta", "bull:q:active",
                 "bull:q:marker", "bull:q:prioritized", "bull:q:pc", "8", "LPUSH", "failedReason", "failed", "0", "0"});
}

TEST(reprocess_job, packs_a_completed_lifo_job) {
  auto call = reprocess_job::of(keys(), "8", "completed", true).pack();
  EXPECT_EQ(call.args[2], "bull:q:completed");
  EXPECT_EQ(call.args[10], "RPUSH");
  EXPECT_EQ(call.args[11], "returnvalue");
  EXPECT_EQ(call.args[12], "completed");
}

TEST(reprocess_job, names_job_and_state_in_errors) {
  auto r = reprocess_job::of(keys(), "8", "failed", false);
  EXPECT_EQ(r.parse(test::int_reply(1)), 1);
  try {
    r.parse(test::int_reply(-3));
    ADD_FAILURE() << "no error";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("failed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace drover::detail::scripts
