// cli_support_test.cpp - what the commands share: BullMQ's script name left out of the
// job errors a user reads ("Job 1 is not in the failed state. reprocessJob").
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <string>

#include <drover/error.hpp>

namespace drover::cli {
namespace {

TEST(cli_support, a_job_error_loses_the_script_name_at_its_end) {
  EXPECT_EQ(without_script_name("Job 1 is not in the failed state. reprocessJob"), "Job 1 is not in the failed state.");
  EXPECT_EQ(without_script_name("Job 7 is not in the delayed state. promote"), "Job 7 is not in the delayed state.");
  EXPECT_EQ(without_script_name("Missing key for job 1. reprocessJob"), "Missing key for job 1.");
  EXPECT_EQ(without_script_name("Job a. b is not in the failed state. reprocessJob"),
            "Job a. b is not in the failed state.");
}

TEST(cli_support, other_text_is_left_as_it_is) {
  for (const char* text :
       {"Cannot obliterate non-paused queue q", "queue retry needs --id", "script reprocessJob failed: NOSCRIPT",
        "Job 1 is done. Retry in 5 s", "Job 1. ", "", "ends with a stop."}) {
    EXPECT_EQ(without_script_name(text), text) << text;
  }
}

TEST(cli_support, the_error_keeps_its_code) {
  auto e = without_script_name(error(errc::not_in_state, "Job 1 is not in the failed state. reprocessJob"));
  EXPECT_TRUE(e.is(errc::not_in_state));
  EXPECT_STREQ(e.what(), "Job 1 is not in the failed state.");
}

}  // namespace
}  // namespace drover::cli
