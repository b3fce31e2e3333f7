// ai_failure_test.cpp - an AI provider's failure: the category a user may read, and the
// detail for the log, with the API key and the URL's password masked.
#include "workers/ai_failure.hpp"

#include <gtest/gtest.h>

#include <drover_app/logging/redact.hpp>

using drover::workers::ai_failed;
using drover::workers::ai_failure;
using drover::workers::ai_failure_log_line;
using drover::workers::ai_failure_reason;

TEST(AiFailure, UsersReadACategoryAndTheStatusOnly) {
  EXPECT_EQ(ai_failure_reason(ai_failure::answered, 401), "the AI provider refused the request (HTTP 401)");
  EXPECT_EQ(ai_failure_reason(ai_failure::answered, 400), "the AI provider refused the request (HTTP 400)");
  EXPECT_EQ(ai_failure_reason(ai_failure::answered, 429), "the AI provider is rate limiting requests (HTTP 429)");
  EXPECT_EQ(ai_failure_reason(ai_failure::answered, 503), "the AI provider failed (HTTP 503)");
  EXPECT_EQ(ai_failure_reason(ai_failure::unreachable), "the AI provider could not be reached");
  EXPECT_EQ(ai_failure_reason(ai_failure::timed_out), "the AI provider timed out");
  EXPECT_EQ(ai_failure_reason(ai_failure::unreadable, 200), "the AI provider sent an answer that could not be read");
}

// The review's findings: "the model server answered 401: Incorrect API key provided:
// Bearer sk-SECRET... at internal host ..." and "the model server at
// http://127.0.0.1:15598/v1: cannot connect to ..." reached end users.
TEST(AiFailure, TheErrorCarriesNoBodyUrlOrKeyAndTheLogMasksSecrets) {
  const std::string key = "sk-SECRET-ai-failure-test-0123456789";
  drover::app::add_secret(key);
  const auto body = "answered 401: Incorrect API key provided: Bearer " + key + " at internal host ai-gw.internal:8443";
  const auto url = "http://proxy-user:proxy-pass@127.0.0.1:15598/v1";

  const auto refused = ai_failed(ai_failure::answered, 401, url, body);
  EXPECT_STREQ(refused.what(), "the AI provider refused the request (HTTP 401)");
  EXPECT_EQ(refused.detail(), ai_failure_log_line(ai_failure::answered, 401, url, body));  // logged by job

  const auto line = ai_failure_log_line(ai_failure::answered, 401, url, body);
  EXPECT_NE(line.find("Incorrect API key provided"), std::string::npos) << line;  // operators can diagnose
  EXPECT_NE(line.find("ai-gw.internal:8443"), std::string::npos) << line;
  EXPECT_NE(line.find("127.0.0.1:15598"), std::string::npos) << line;
  EXPECT_EQ(line.find(key), std::string::npos) << line;
  EXPECT_EQ(line.find("proxy-pass"), std::string::npos) << line;

  const auto unreachable =
      ai_failed(ai_failure::unreachable, 0, url, "cannot connect to 127.0.0.1:15598: Connection refused");
  EXPECT_STREQ(unreachable.what(), "the AI provider could not be reached");
}
