// cancellation_test.cpp - the stored form of cancellation requests and dead-letter ids
// (core/cancellation.hpp, core/dead_letter_format.hpp), without Redis.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <drover/job.hpp>
#include <drover/queue.hpp>

#include "core/cancellation.hpp"
#include "core/dead_letter_format.hpp"

namespace drover {
namespace {

TEST(cancellation, the_request_reason_is_read_leniently) {
  struct row {
    const char* stored;
    const char* reason;
  };
  const row rows[] = {
      {R"({"reason":"user pressed stop","at":1})", "user pressed stop"},
      {R"({"reason":"","at":1})", ""},
      {R"({"at":1})", ""},
      {R"({"reason":42})", ""},
      {R"(["reason"])", ""},
      {"not json", ""},
      {"", ""},
  };
  for (const auto& r : rows) EXPECT_EQ(detail::cancel_request_reason(r.stored), r.reason) << r.stored;
}

TEST(cancellation, a_request_applies_to_the_attempt_it_was_made_during) {
  using detail::cancel_request_applies;
  EXPECT_TRUE(cancel_request_applies(R"({"reason":"r","at":1,"atm":0})", 0));
  EXPECT_TRUE(cancel_request_applies(R"({"reason":"r","at":1,"atm":2})", 2));
  // That attempt ended (a Node worker finished it) and the job was retried: lapsed.
  EXPECT_FALSE(cancel_request_applies(R"({"reason":"r","at":1,"atm":0})", 1));
  EXPECT_FALSE(cancel_request_applies(R"({"reason":"r","at":1,"atm":3})", 0));  // retried with resetAttemptsMade
  // Written before requests named their attempt, or unreadable: it applies.
  EXPECT_TRUE(cancel_request_applies(R"({"reason":"r","at":1})", 5));
  EXPECT_TRUE(cancel_request_applies("not json", 5));
}

TEST(cancellation, a_job_hash_carries_the_request) {
  std::vector<std::string> hash{"name", "n", "data", "{}", std::string(detail::cancel_field), R"({"reason":"r"})"};
  auto j = job::from_hash("7", hash);
  ASSERT_TRUE(j.cancel_requested.has_value());
  EXPECT_EQ(*j.cancel_requested, R"({"reason":"r"})");
  EXPECT_FALSE(j.to_json().contains("drover:cancel"));  // not part of Node's job.toJSON()
  EXPECT_FALSE(job::from_hash("8", {"name", "n"}).cancel_requested.has_value());
}

TEST(cancellation, outcomes_have_stable_names) {
  EXPECT_STREQ(to_string(cancel_outcome::removed), "removed");
  EXPECT_STREQ(to_string(cancel_outcome::signalled), "signalled");
  EXPECT_STREQ(to_string(cancel_outcome::not_found), "not_found");
  EXPECT_STREQ(to_string(cancel_outcome::already_finished), "already_finished");
}

TEST(dead_letter, one_id_per_failure) {
  EXPECT_EQ(detail::dead_letter_id("mail", "42", 1700000000123), "mail-42-1700000000123");
  EXPECT_NE(detail::dead_letter_id("mail", "42", 1), detail::dead_letter_id("mail", "42", 2));
  EXPECT_NE(detail::dead_letter_id("mail", "42", 1), detail::dead_letter_id("sms", "42", 1));
}

}  // namespace
}  // namespace drover
