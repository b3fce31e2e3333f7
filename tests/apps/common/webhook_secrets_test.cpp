// webhook_secrets_test.cpp - the webhook secrets a rotation retires (the *_PREVIOUS
// settings) and the deliveries signed with both keys.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <drover/error.hpp>
#include <drover_app/base64.hpp>
#include <drover_app/distinct_secrets.hpp>
#include <drover_app/webhook_secrets.hpp>
#include <drover_app/webhook_signature.hpp>

#include "support/scoped_env.hpp"

namespace drover::app {
namespace {

using test::scoped_env;

constexpr const char* old_api = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* new_api = "plain-secret-of-the-new-deployment-7Qx";
constexpr const char* users_secret = "users-own-secret-given-to-no-receiver-Kd2";

// Every setting these tests read, unset unless a test names it.
scoped_env settings(const char* api_previous, const char* users, const char* users_previous) {
  return scoped_env({{"WEBHOOK_SECRET_PREVIOUS", api_previous},
                     {"USER_WEBHOOK_SECRET", users},
                     {"USER_WEBHOOK_SECRET_PREVIOUS", users_previous},
                     {"OPERATOR_WEBHOOK_SECRET", nullptr},
                     {"OPERATOR_WEBHOOK_SECRET_PREVIOUS", nullptr}});
}

TEST(WebhookSecrets, NoPreviousSettingMeansNoRotation) {
  auto env = settings(nullptr, nullptr, nullptr);
  const auto current = webhook_secrets_from_env(new_api, false);
  EXPECT_FALSE(previous_webhook_secrets_from_env(current, false));
}

TEST(WebhookSecrets, TheSecretsMadeFromTheRetiredWebhookSecretAreTheOnesReceiversStillHold) {
  std::string user_key_before, operators_before;
  {
    auto env = settings(nullptr, nullptr, nullptr);
    const auto before = webhook_secrets_from_env(old_api, false);
    user_key_before = before.user_key("alice");
    operators_before = before.operators;
  }
  auto env = settings(old_api, nullptr, nullptr);
  const auto current = webhook_secrets_from_env(new_api, false);
  const auto previous = previous_webhook_secrets_from_env(current, false);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->api, old_api);
  EXPECT_EQ(previous->user_key("alice"), user_key_before);
  EXPECT_EQ(previous->operators, operators_before);
  EXPECT_NE(current.user_key("alice"), user_key_before);
}

TEST(WebhookSecrets, ASecretOfItsOwnThatWasNotRotatedStaysTheCurrentOne) {
  auto env = settings(old_api, users_secret, nullptr);
  const auto current = webhook_secrets_from_env(new_api, false);
  const auto previous = previous_webhook_secrets_from_env(current, false);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->users, users_secret);
  // Users' keys are made from WEBHOOK_SECRET too, so they change with it.
  EXPECT_NE(previous->user_key("alice"), current.user_key("alice"));
}

TEST(WebhookSecrets, RotatingOnlyTheUsersSecretKeepsTheApiSecret) {
  auto env = settings(nullptr, users_secret, "users-secret-before-this-rotation-Vb8");
  const auto current = webhook_secrets_from_env(new_api, false);
  const auto previous = previous_webhook_secrets_from_env(current, false);
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous->api, new_api);
  EXPECT_EQ(previous->operators, current.operators);
  EXPECT_NE(previous->user_key("alice"), current.user_key("alice"));
}

TEST(WebhookSecrets, PreviousSettingsThatNameTheCurrentSecretsAreNoRotation) {
  auto env = settings(new_api, users_secret, users_secret);
  const auto current = webhook_secrets_from_env(new_api, false);
  EXPECT_FALSE(previous_webhook_secrets_from_env(current, false));
}

TEST(WebhookSecrets, AUsersSecretThatIsTheRetiredApiKeyIsRefused) {
  // The API's receiver accepts the retired key until the rotation ends: no user's receiver
  // may hold it. The same key written as whsec_ and as its raw bytes is one key.
  auto env = settings(old_api, nullptr, old_api);
  const auto current = webhook_secrets_from_env(new_api, false);
  try {
    previous_webhook_secrets_from_env(current, false);
    FAIL() << "accepted USER_WEBHOOK_SECRET_PREVIOUS = WEBHOOK_SECRET_PREVIOUS";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("USER_WEBHOOK_SECRET_PREVIOUS is the key of WEBHOOK_SECRET_PREVIOUS"),
              std::string::npos)
        << e.what();
  }
}

TEST(WebhookSecrets, ACurrentUsersSecretThatIsTheRetiredApiKeyIsRefused) {
  auto env = settings(old_api, old_api, nullptr);
  const auto current = webhook_secrets_from_env(new_api, false);
  EXPECT_THROW(previous_webhook_secrets_from_env(current, false), error);
}

TEST(WebhookSecrets, AKeyHmacUsesAsTheRetiredApiKeyIsRefusedToo) {
  // The retired key with a zero byte after it signs as the retired key does.
  const auto padded = "whsec_" + base64_encode(webhook_key(old_api) + std::string(1, '\0'));
  auto env = settings(old_api, nullptr, padded.c_str());
  const auto current = webhook_secrets_from_env(new_api, false);
  EXPECT_THROW(previous_webhook_secrets_from_env(current, false), error);
}

TEST(WebhookSecrets, NoTwoSettingsHoldOneKey) {
  auto env = settings(old_api, users_secret, nullptr);
  scoped_env operators({{"OPERATOR_WEBHOOK_SECRET_PREVIOUS", "metrics-token-of-the-scraper-0123456789"}});
  const auto current = webhook_secrets_from_env(new_api, false);
  const auto previous = previous_webhook_secrets_from_env(current, false);
  auto secrets = named_webhook_secrets(current, previous);
  EXPECT_EQ(shared_secret_among(secrets), "");
  // USER_WEBHOOK_SECRET_PREVIOUS unset is the current one: not a setting of its own.
  for (const auto& s : secrets) EXPECT_NE(s.name, "USER_WEBHOOK_SECRET_PREVIOUS");
  secrets.push_back(plain_secret("METRICS_TOKEN", "metrics-token-of-the-scraper-0123456789\n"));
  EXPECT_EQ(shared_secret_among(secrets),
            "OPERATOR_WEBHOOK_SECRET_PREVIOUS and METRICS_TOKEN are the same secret: whoever holds one must not hold "
            "the other's powers; give each its own");
}

TEST(WebhookSecrets, APreviousSecretIsHeldToTheProductionRules) {
  auto env = settings("short", nullptr, nullptr);
  const auto current = webhook_secrets_from_env(new_api, false);
  try {
    previous_webhook_secrets_from_env(current, false);
    FAIL() << "accepted a five-character WEBHOOK_SECRET_PREVIOUS";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("WEBHOOK_SECRET_PREVIOUS is too short"), std::string::npos) << e.what();
  }
  // The development mode signs with what it is given, as with WEBHOOK_SECRET.
  EXPECT_TRUE(previous_webhook_secrets_from_env(current, true));
}

TEST(WebhookSecrets, ADeliverySignedWithBothKeysVerifiesWithEither) {
  const auto header = sign_webhook_with(new_api, old_api, "msg_1", 1700000000, R"({"a":1})");
  EXPECT_EQ(header, sign_webhook(new_api, "msg_1", 1700000000, R"({"a":1})") + " " +
                        sign_webhook(old_api, "msg_1", 1700000000, R"({"a":1})"));
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto signed_now = sign_webhook_with(new_api, old_api, "msg_2", now, "{}");
  const auto timestamp = std::to_string(now);
  EXPECT_EQ(verify_webhook(new_api, "msg_2", timestamp, signed_now, "{}"), webhook_check::ok);
  EXPECT_EQ(verify_webhook(old_api, "msg_2", timestamp, signed_now, "{}"), webhook_check::ok);
  EXPECT_EQ(verify_webhook(users_secret, "msg_2", timestamp, signed_now, "{}"), webhook_check::bad_signature);
}

TEST(WebhookSecrets, NoSecondSignatureWithoutADifferentPreviousKey) {
  const auto one = sign_webhook(new_api, "msg_1", 1700000000, "{}");
  EXPECT_EQ(sign_webhook_with(new_api, "", "msg_1", 1700000000, "{}"), one);
  EXPECT_EQ(sign_webhook_with(new_api, new_api, "msg_1", 1700000000, "{}"), one);
}

}  // namespace
}  // namespace drover::app
