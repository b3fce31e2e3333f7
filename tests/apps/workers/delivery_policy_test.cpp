// delivery_policy_test.cpp - a delivery outlasts an outage of hours, at most five minutes apart.
#include "workers/delivery_policy.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace drover::workers {
namespace {

constexpr std::int64_t minute = 60'000;

TEST(delivery_policy, doubles_from_the_first_delay_up_to_five_minutes) {
  EXPECT_EQ(webhook_retry_delay(1, 1000, 1.0), 1000);
  EXPECT_EQ(webhook_retry_delay(2, 1000, 1.0), 2000);
  EXPECT_EQ(webhook_retry_delay(9, 1000, 1.0), 256'000);
  EXPECT_EQ(webhook_retry_delay(10, 1000, 1.0), 5 * minute);
  EXPECT_EQ(webhook_retry_delay(99, 1000, 1.0), 5 * minute);
  EXPECT_EQ(webhook_retry_delay(1'000'000, 1000, 1.0), 5 * minute);  // no overflow
}

TEST(delivery_policy, jitter_takes_at_most_a_fifth_off) {
  EXPECT_EQ(webhook_retry_delay(20, 1000, 0.0), 4 * minute);
  EXPECT_EQ(webhook_retry_delay(1, 1000, 0.0), 800);
  for (int k = 0; k < 1000; ++k) {
    auto d = webhook_backoff_strategy(50, "webhook", 1000);
    ASSERT_TRUE(d);
    EXPECT_GE(*d, 4 * minute);
    EXPECT_LE(*d, 5 * minute);
  }
}

TEST(delivery_policy, a_delivery_keeps_trying_for_hours) {
  job_options opts;
  use_delivery_policy(opts, webhook_receiver::configured);
  ASSERT_TRUE(opts.attempts && opts.backoff);
  EXPECT_EQ(opts.backoff->type, "webhook");
  std::int64_t shortest = 0;  // every wait at its lowest
  for (std::int64_t n = 1; n < *opts.attempts; ++n) shortest += webhook_retry_delay(n, opts.backoff->delay, 0.0);
  EXPECT_GT(shortest, 6 * 60 * minute);  // an outage of six hours loses nothing
  EXPECT_EQ(opts.keep_logs, webhook_logs_kept);
}

TEST(delivery_policy, a_receiver_a_user_gave_gets_seconds_not_hours) {
  job_options opts;
  use_delivery_policy(opts, webhook_receiver::user_given);
  ASSERT_TRUE(opts.attempts && opts.backoff);
  EXPECT_EQ(*opts.attempts, user_webhook_attempts);
  EXPECT_EQ(opts.backoff->type, "exponential");
  EXPECT_EQ(opts.priority, user_webhook_priority);  // behind every configured delivery
}

TEST(delivery_policy, other_backoff_types_are_not_guessed) {
  EXPECT_FALSE(webhook_backoff_strategy(1, "linear", 1000));
}

TEST(api_receiver_address, is_only_the_receivers_path_on_the_apis_address) {
  const api_receiver_address api{address_policy("127.0.0.1:5000,localhost:5000"), "/api/webhooks/job-completed",
                                 "127.0.0.1:5000,localhost:5000"};
  EXPECT_EQ(api.receiver_of("http://127.0.0.1:5000/api/webhooks/job-completed"), webhook_receiver::configured);
  EXPECT_EQ(api.receiver_of("http://localhost:5000/api/webhooks/job-completed"), webhook_receiver::configured);
  // Another path on the API's address, another port, another host: a URL a user gave.
  EXPECT_EQ(api.receiver_of("http://127.0.0.1:5000/api/admin/queues/ai-processing/pause"),
            webhook_receiver::user_given);
  EXPECT_EQ(api.receiver_of("http://127.0.0.1:5000/api/webhooks/job-completed/x"), webhook_receiver::user_given);
  EXPECT_EQ(api.receiver_of("http://127.0.0.1:5000/api/webhooks/job-completed?x=1"), webhook_receiver::user_given);
  EXPECT_EQ(api.receiver_of("http://127.0.0.1:5001/api/webhooks/job-completed"), webhook_receiver::user_given);
  EXPECT_EQ(api.receiver_of("https://example.com/api/webhooks/job-completed"), webhook_receiver::user_given);
  EXPECT_EQ(api.receiver_of("not a url"), webhook_receiver::user_given);
}

TEST(api_receiver_address, is_derived_as_the_api_derives_its_own_url) {
  const auto local = api_receiver_address::of(nullptr, "5001");
  EXPECT_EQ(local.hosts_text, "127.0.0.1:5001,localhost:5001");
  EXPECT_EQ(local.receiver_of("http://localhost:5001/api/webhooks/job-completed"), webhook_receiver::configured);
  EXPECT_EQ(local.receiver_of("http://127.0.0.1:5000/api/webhooks/job-completed"), webhook_receiver::user_given);

  // PUBLIC_URL's path (without its trailing slashes) comes before the receiver's, and its
  // scheme gives the port the allowlist names.
  const auto behind_proxy = api_receiver_address::of("https://chat.example.com/drover//", "5000");
  EXPECT_EQ(behind_proxy.hosts_text, "chat.example.com:443");
  EXPECT_EQ(behind_proxy.path, "/drover/api/webhooks/job-completed");
  EXPECT_EQ(behind_proxy.receiver_of("https://chat.example.com/drover/api/webhooks/job-completed"),
            webhook_receiver::configured);
  EXPECT_EQ(behind_proxy.receiver_of("https://chat.example.com/api/webhooks/job-completed"),
            webhook_receiver::user_given);

  EXPECT_EQ(api_receiver_address::of("http://[::1]:8080", "5000").hosts_text, "[::1]:8080");
  try {
    api_receiver_address::of("chat.example.com", "5000");
    FAIL() << "a PUBLIC_URL without a scheme was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(std::string_view(e.what()).starts_with("PUBLIC_URL is not an http(s) URL: 'chat.example.com'"));
  }
  // The API refuses a URL of another scheme; so does the Workers app, which had taken it.
  EXPECT_THROW(api_receiver_address::of("ftp://chat.example.com", "5000"), std::invalid_argument);
}

TEST(delivery_policy, bounds_what_failed_deliveries_keep_and_marks_users_ones) {
  job_options user, api;
  use_delivery_policy(user, webhook_receiver::user_given);
  use_delivery_policy(api, webhook_receiver::configured);
  EXPECT_EQ(boost::json::serialize(user.remove_on_fail), R"({"age":86400,"count":1000})");
  EXPECT_EQ(boost::json::serialize(api.remove_on_fail), R"({"age":604800,"count":10000})");
  job j;
  j.opts = user;
  EXPECT_TRUE(user_given_delivery(j));
  j.opts = api;
  EXPECT_FALSE(user_given_delivery(j));
}

TEST(delivery_policy, the_wait_a_receiver_asked_for_travels_in_the_reason_to_the_backoff) {
  const auto reason = "webhook answered 429: {\"busy\":true}" + retry_after_note(std::chrono::seconds(30));
  EXPECT_EQ(retry_after_in(reason), std::chrono::seconds(30));
  EXPECT_EQ(retry_after_in("webhook answered 503: down"), std::nullopt);
  EXPECT_EQ(retry_after_in(reason + " and more"), std::nullopt);
  // Longer than the backoff: the wait asked for; shorter: the backoff's.
  EXPECT_EQ(webhook_backoff_strategy(1, webhook_backoff_type, 1000, reason), 30'000);
  const auto early = "webhook answered 429: x" + retry_after_note(std::chrono::milliseconds(10));
  const auto backoff = webhook_backoff_strategy(1, webhook_backoff_type, 1000, early);
  ASSERT_TRUE(backoff);
  EXPECT_GE(*backoff, 800);
  EXPECT_LE(*backoff, 1000);
  // At most the longest wait, whatever a reason says.
  EXPECT_EQ(retry_after_in("x (the receiver asked to retry after 999999999 ms)"), webhook_longest_wait);
  EXPECT_EQ(webhook_backoff_strategy(1, "exponential", 1000, reason), std::nullopt);
}

}  // namespace
}  // namespace drover::workers
