// script_errors_test.cpp - script return codes become errors in BullMQ's words
// (finished-errors.ts), naming the job and the command.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/script_errors.hpp"

namespace drover::detail {
namespace {

struct code_case {
  std::int64_t code;
  const char* state;
  errc expected_code;
  const char* expected_message;
};

TEST(script_code_error, maps_codes_to_errc_and_bullmq_messages) {
  const code_case cases[] = {
      {-1, "", errc::job_not_found, "Missing key for job 42. moveToFinished"},
      {-2, "", errc::lock_missing, "Missing lock for job 42. moveToFinished"},
      {-3, "active", errc::not_in_state, "Job 42 is not in the active state. moveToFinished"},
      {-3, "", errc::not_in_state, "Job 42 is not in the expected state. moveToFinished"},
      {-4, "", errc::pending_children, "Job 42 has pending dependencies. moveToFinished"},
      {-6, "active", errc::lock_mismatch, "Lock mismatch for job 42. Cmd moveToFinished from active"},
      {-8, "", errc::invalid_argument,
       "Job 42 belongs to a job scheduler and cannot be removed directly. moveToFinished"},
      {-12, "", errc::script_error, "Unknown code -12 error for 42. moveToFinished"},
      {-100, "", errc::script_error, "Unknown code -100 error for 42. moveToFinished"},
  };
  for (const auto& c : cases) {
    const error e = script_code_error(c.code, "42", "moveToFinished", c.state);
    EXPECT_EQ(e.code(), make_error_code(c.expected_code)) << c.code << ": " << e.code().message();
    EXPECT_STREQ(e.what(), c.expected_message) << c.code;
  }
}

// Codes whose BullMQ message names something drover does not pass (the parent key),
// or whose wording differs: the errc, the job and the command must still be right.
struct named_case {
  std::int64_t code;
  errc expected_code;
  const char* must_contain;
};

TEST(script_code_error, names_job_and_command) {
  const named_case cases[] = {
      {-5, errc::parent_missing, "parent"},
      {-9, errc::pending_children, "failed child"},
  };
  for (const auto& c : cases) {
    const error e = script_code_error(c.code, "job-9", "addJob");
    const std::string what = e.what();
    EXPECT_EQ(e.code(), make_error_code(c.expected_code)) << c.code;
    EXPECT_NE(what.find("job-9"), std::string::npos) << what;
    EXPECT_NE(what.find("addJob"), std::string::npos) << what;
    EXPECT_NE(what.find(c.must_contain), std::string::npos) << what;
  }
}

// Node's worker writes "... moveToFinished" into the job's failedReason; so must drover's
// lean finish, which stands for it.
TEST(script_code_error, names_a_lean_script_as_the_bullmq_script_it_stands_for) {
  EXPECT_STREQ(script_code_error(-4, "p", "moveToFinishedLean").what(),
               "Job p has pending dependencies. moveToFinished");
}

TEST(script_code_error, different_job_and_command) {
  const error e = script_code_error(-2, "repeat:s:1700000000000", "extendLock");
  EXPECT_TRUE(e.is(errc::lock_missing));
  EXPECT_STREQ(e.what(), "Missing lock for job repeat:s:1700000000000. extendLock");
}

// Regression (was a bug): -7 (ParentJobCannotBeReplaced: the job exists under another parent) is a known
// BullMQ code - "The parent job <parentKey> cannot be replaced. <command>" - but
// src/core/script_errors.cpp has no case for it, so it is reported as
// "Unknown code -7 error for 42. addJob".
TEST(script_code_error, knows_parent_cannot_be_replaced) {
  const error e = script_code_error(-7, "42", "addJob");
  const std::string what = e.what();
  EXPECT_EQ(what.find("Unknown code"), std::string::npos) << what;
  EXPECT_NE(what.find("cannot be replaced"), std::string::npos) << what;
  EXPECT_NE(what.find("addJob"), std::string::npos) << what;
}

}  // namespace
}  // namespace drover::detail
