// webhook_signature.cpp - HMAC-SHA256 (OpenSSL) signatures in the Standard Webhooks format.
#include "drover/webhook_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/beast/core/detail/base64.hpp>

#include <charconv>

namespace drover {

namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(n), '\0');
  out.resize(b64::encode(out.data(), data, n));
  return out;
}

}  // namespace

std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body) {
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  return "v1," + base64(mac, len);
}

webhook_check verify_webhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                             std::string_view signature_header, std::string_view body, std::chrono::seconds tolerance) {
  if (id.empty() || timestamp.empty() || signature_header.empty()) return webhook_check::missing_headers;
  std::int64_t ts = 0;
  auto [p, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc() || p != timestamp.data() + timestamp.size()) return webhook_check::bad_timestamp;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (ts < now - tolerance.count() || ts > now + tolerance.count()) return webhook_check::too_old_or_new;
  const std::string expected = sign_webhook(secret, id, ts, body);
  // The header may carry several signatures (key rotation), separated by spaces.
  std::size_t start = 0;
  while (start <= signature_header.size()) {
    auto end = signature_header.find(' ', start);
    auto candidate = signature_header.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (candidate.size() == expected.size() && CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
      return webhook_check::ok;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return webhook_check::bad_signature;
}

const char* to_string(webhook_check c) {
  switch (c) {
    case webhook_check::ok: return "ok";
    case webhook_check::missing_headers: return "missing webhook-id, webhook-timestamp or webhook-signature";
    case webhook_check::bad_timestamp: return "webhook-timestamp is not a number";
    case webhook_check::too_old_or_new: return "webhook-timestamp is more than 5 minutes away (replay?)";
    case webhook_check::bad_signature: return "webhook-signature does not match";
  }
  return "unknown";
}

}  // namespace drover
