// webhook_signature_test.cpp - Standard Webhooks signatures: a known vector and the checks.
#include <gtest/gtest.h>

#include <chrono>

#include <drover/webhook_signature.hpp>

namespace drover {
namespace {

TEST(webhook_signature, matches_a_known_vector) {
  // Computed independently with Node's crypto.createHmac('sha256', ...).
  EXPECT_EQ(sign_webhook("test-secret", "msg_1", 1700000000, R"({"a":1})"), "v1,48vSnQLf8QsDtt1WVkwPDSJg2o8xjtDiajoPCjBZ1SM=");
}

TEST(webhook_signature, verification_table) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
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
  };
  for (const auto& r : rows) {
    EXPECT_EQ(verify_webhook(r.secret, r.id, r.timestamp, r.signature, r.body), r.expected) << r.what;
  }
}

}  // namespace
}  // namespace drover
