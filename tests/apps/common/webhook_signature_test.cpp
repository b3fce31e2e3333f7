// webhook_signature_test.cpp - Standard Webhooks signatures: known vectors (raw and whsec_
// secrets) and the checks.
#include <gtest/gtest.h>

#include <chrono>

#include <stdexcept>
#include <string>
#include <string_view>

#include <drover_app/base64.hpp>
#include <drover_app/webhook_signature.hpp>

namespace drover::app {
namespace {

TEST(webhook_signature, matches_a_known_vector) {
  // Computed independently with Node's crypto.createHmac('sha256', ...).
  EXPECT_EQ(sign_webhook("test-secret", "msg_1", 1700000000, R"({"a":1})"),
            "v1,48vSnQLf8QsDtt1WVkwPDSJg2o8xjtDiajoPCjBZ1SM=");
}

TEST(webhook_signature, whsec_secrets_use_the_decoded_key) {
  // Computed once with npm standardwebhooks@1.1.1: new Webhook(secret).sign('msg_1',
  // new Date(1700000000 * 1000), '{"a":1}').
  EXPECT_EQ(sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1700000000, R"({"a":1})"),
            "v1,hVsFLpmw4Ib/Xm0eZLt3KqYBZdt0U8gdGeuz0EsGv78=");
  // "whsec_" + base64("test-secret") is the same key as the raw secret "test-secret".
  EXPECT_EQ(sign_webhook("whsec_dGVzdC1zZWNyZXQ=", "msg_1", 1700000000, R"({"a":1})"),
            sign_webhook("test-secret", "msg_1", 1700000000, R"({"a":1})"));
  // Padding may be left out.
  EXPECT_EQ(webhook_key("whsec_dGVzdC1zZWNyZXQ"), "test-secret");
}

// HMAC pads a key with zero bytes to its block and hashes one longer than the block: keys
// that differ only so sign alike, and are one key wherever secrets are compared.
TEST(webhook_signature, keys_that_hmac_uses_alike_have_one_identity) {
  const std::string key = "test-secret";
  const std::string padded = key + std::string(3, '\0');
  EXPECT_EQ(sign_webhook(key, "msg_1", 1700000000, "{}"), sign_webhook(padded, "msg_1", 1700000000, "{}"));
  EXPECT_EQ(hmac_key_identity(padded), hmac_key_identity(key));
  const std::string long_key(65, 'k');
  const auto hashed = hmac_key_identity(long_key);
  EXPECT_EQ(hashed.size(), 32u);
  EXPECT_EQ(sign_webhook(long_key, "msg_1", 1700000000, "{}"), sign_webhook(hashed, "msg_1", 1700000000, "{}"));
  EXPECT_NE(hmac_key_identity("test-secreT"), hmac_key_identity(key));
  EXPECT_TRUE(same_webhook_key("whsec_" + base64_encode(padded), key));
  EXPECT_FALSE(same_webhook_key("whsec_" + base64_encode("other-secret"), key));
}

TEST(webhook_signature, a_derived_secret_is_a_key_of_its_own) {
  // Computed independently with Node's crypto: 'whsec_' + createHmac('sha256',
  // 'test-secret').update('drover user webhook deliveries').digest('base64').
  const auto derived = derived_webhook_secret("test-secret", user_webhooks_purpose);
  EXPECT_EQ(derived, "whsec_w7kITk1pVpoWwk/ymfUoUdi3NyIxwpwMvf6WCcf2jTQ=");
  EXPECT_EQ(webhook_key(derived).size(), 32u);
  EXPECT_NE(webhook_key(derived), webhook_key("test-secret"));
  EXPECT_EQ(derived, derived_webhook_secret("whsec_dGVzdC1zZWNyZXQ=", user_webhooks_purpose));  // the same key
  EXPECT_NE(derived, derived_webhook_secret("test-secret", "another purpose"));
  EXPECT_NE(sign_webhook(derived, "msg_1", 1700000000, "{}"), sign_webhook("test-secret", "msg_1", 1700000000, "{}"));
}

TEST(webhook_signature, malformed_whsec_secrets_are_refused) {
  const char* bad[] = {"whsec_", "whsec_not base64!", "whsec_a", "whsec_@@@@"};
  for (const char* s : bad) {
    EXPECT_THROW(webhook_key(s), std::invalid_argument) << s;
    EXPECT_THROW(sign_webhook(s, "id", 1, "{}"), std::invalid_argument) << s;
  }
  try {
    webhook_key("whsec_s3cret!!");
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << "the message shows the secret";
  }
}

TEST(webhook_signature, verification_table) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string body = R"({"jobId":"1"})";
  const std::string good = sign_webhook("s3cret", "id-1", now, body);
  const std::string ts = std::to_string(now);
  struct row {
    const char* what;
    std::string secret, id, timestamp, signature, body;
    webhook_check expected;
  };
  const row rows[] = {
      {"valid", "s3cret", "id-1", ts, good, body, webhook_check::ok},
      {"one of several signatures", "s3cret", "id-1", ts, "v1,bogus " + good, body, webhook_check::ok},
      {"other secret", "other", "id-1", ts, good, body, webhook_check::bad_signature},
      {"other id", "s3cret", "id-2", ts, good, body, webhook_check::bad_signature},
      {"tampered body", "s3cret", "id-1", ts, good, R"({"jobId":"2"})", webhook_check::bad_signature},
      {"old timestamp", "s3cret", "id-1", std::to_string(now - 600), good, body, webhook_check::too_old_or_new},
      {"future timestamp", "s3cret", "id-1", std::to_string(now + 600), good, body, webhook_check::too_old_or_new},
      {"timestamp not a number", "s3cret", "id-1", "soon", good, body, webhook_check::bad_timestamp},
      {"no signature", "s3cret", "id-1", ts, "", body, webhook_check::missing_headers},
      {"no id", "s3cret", "", ts, good, body, webhook_check::missing_headers},
      {"whsec_ form of the same key", "whsec_czNjcmV0", "id-1", ts, good, body, webhook_check::ok},
      {"whsec_ of another key", "whsec_b3RoZXI=", "id-1", ts, good, body, webhook_check::bad_signature},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(verify_webhook(r.secret, r.id, r.timestamp, r.signature, r.body), r.expected) << r.what;
  }
}

// The message of the std::invalid_argument require_production_webhook_secret throws, or "".
std::string refusal(std::string_view secret) {
  try {
    require_production_webhook_secret(secret);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(require_production_webhook_secret, refuses_what_anyone_could_sign_with) {
  EXPECT_NE(refusal("").find("WEBHOOK_SECRET is not set"), std::string::npos);
  EXPECT_NE(refusal("dev-webhook-secret").find("development default"), std::string::npos);
  EXPECT_NE(refusal("whsec_***").find("not base64"), std::string::npos);
  // One byte of key: 256 tries against the receiver forge a webhook (a security review did).
  EXPECT_NE(refusal("x").find("too short"), std::string::npos);
  EXPECT_NE(refusal("whsec_AA==").find("1 bytes of key after whsec_, at least 24"), std::string::npos);
  EXPECT_NE(refusal(std::string(31, 'k')).find("31 characters, at least 32"), std::string::npos);
  // 23 random bytes, base64: still short of the Standard Webhooks minimum.
  EXPECT_NE(refusal("whsec_" + base64_encode(std::string(23, '\x5a'))).find("too short"), std::string::npos);
}

TEST(require_production_webhook_secret, accepts_a_long_enough_secret_and_never_echoes_one) {
  EXPECT_EQ(refusal("k-0123456789abcdefghijklmnopqrst"), "");
  EXPECT_EQ(refusal("whsec_" + base64_encode("0123456789abcdefghijklmn")), "");
  // Long enough but uniform: refused all the same.
  EXPECT_NE(refusal(std::string(32, 'k')).find("only 1 different bytes"), std::string::npos);
  EXPECT_NE(refusal("whsec_" + base64_encode(std::string(24, '\0'))).find("only 1 different bytes"), std::string::npos);
  EXPECT_EQ(refusal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "");  // the Standard Webhooks example's length
  for (const char* secret : {"short-secret-words", "whsec_AA=="}) {
    EXPECT_EQ(refusal(secret).find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace drover::app
