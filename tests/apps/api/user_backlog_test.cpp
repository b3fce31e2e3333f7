// user_backlog_test.cpp - a user's unanswered sends are capped; a job's end, a failed
// send and time give places back; other users are never affected.
#include "api/user_backlog.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "api/http_error.hpp"

namespace drover::api {
namespace {

TEST(user_backlog, refuses_a_user_at_the_cap_and_no_one_else) {
  user_backlog b(2);
  b.enter("alice").accepted("1");
  b.enter("alice").accepted("2");
  try {
    b.enter("alice");
    FAIL() << "a third unanswered send was let through";
  } catch (const http_error& e) {
    EXPECT_EQ(e.status(), httpd::http::status::too_many_requests);
    EXPECT_NE(std::string(e.what()).find("2 of your messages"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(b.enter("bob").accepted("3"));
  EXPECT_EQ(b.unanswered("alice"), 2u);
  EXPECT_EQ(b.unanswered("bob"), 1u);
}

TEST(user_backlog, a_jobs_end_gives_its_place_back) {
  user_backlog b(1);
  b.enter("alice").accepted("7");
  EXPECT_THROW(b.enter("alice"), http_error);
  b.ended("unknown-job");  // another process's send: nothing here
  EXPECT_THROW(b.enter("alice"), http_error);
  b.ended("7");
  EXPECT_EQ(b.unanswered("alice"), 0u);
  EXPECT_NO_THROW(b.enter("alice").accepted("8"));
}

TEST(user_backlog, a_send_being_accepted_holds_a_place_and_a_failed_one_gives_it_back) {
  user_backlog b(1);
  {
    auto place = b.enter("alice");
    EXPECT_THROW(b.enter("alice"), http_error);  // two sends at once: one place
  }                                              // the add failed
  EXPECT_EQ(b.unanswered("alice"), 0u);
  auto moved = b.enter("alice");
  auto kept = std::move(moved);
  kept.accepted("9");
  EXPECT_EQ(b.unanswered("alice"), 1u);
}

TEST(user_backlog, an_entry_whose_end_never_came_is_forgotten_in_time) {
  user_backlog b(1, std::chrono::milliseconds(50));
  b.enter("alice").accepted("5");
  EXPECT_THROW(b.enter("alice"), http_error);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_NO_THROW(b.enter("alice").accepted("6"));
  b.ended("5");  // late: changes nothing
  EXPECT_EQ(b.unanswered("alice"), 1u);
}

TEST(user_backlog, a_second_send_answered_with_the_same_job_holds_no_place) {
  user_backlog b(2);
  b.enter("alice").accepted("7");
  b.enter("alice").accepted("7");  // an Idempotency-Key retry that Redis deduplicated
  EXPECT_EQ(b.unanswered("alice"), 1u);
  b.ended("7");
  EXPECT_EQ(b.unanswered("alice"), 0u);
}

TEST(user_backlog, an_end_that_comes_before_its_send_is_accepted_frees_the_place) {
  user_backlog b(1);
  auto place = b.enter("alice");
  b.ended("3");  // the add's reply waited for the replicas; the job was quicker
  place.accepted("3");
  EXPECT_EQ(b.unanswered("alice"), 0u);
  EXPECT_NO_THROW(b.enter("alice").accepted("4"));
}

TEST(user_backlog, a_place_may_outlive_its_backlog) {
  std::optional<user_backlog::place> late;
  std::optional<user_backlog::place> accepted_late;
  {
    user_backlog b(2);
    late.emplace(b.enter("alice"));
    accepted_late.emplace(b.enter("alice"));
  }  // the server goes before a send's frame (a shutdown that did not wait for it)
  accepted_late->accepted("9");
  late.reset();  // nothing to give back to, and no crash (ASan checks)
}

TEST(user_backlog, zero_is_no_cap) {
  user_backlog b(0);
  for (int i = 0; i < 100; ++i) b.enter("alice").accepted(std::to_string(i));
  EXPECT_EQ(b.unanswered("alice"), 0u);
}

}  // namespace
}  // namespace drover::api
