// webhook_signature.cpp - HMAC-SHA256 (OpenSSL) signatures in the Standard Webhooks format,
// with the specification's "whsec_" secrets.
#include "drover_app/webhook_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <stdexcept>

namespace drover::app {

namespace {

constexpr std::string_view secret_prefix = "whsec_";

std::string base64_encode(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL after
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// Standard base64; padding may be left out (the specification's examples keep it, Node's
// Buffer does not need it). Throws std::invalid_argument on anything else.
std::string base64_decode(std::string in) {
  if (in.size() % 4 == 1) throw std::invalid_argument("whsec_ secret: the part after the prefix is not base64");
  while (in.size() % 4 != 0) in.push_back('=');
  std::size_t padding = 0;
  if (!in.empty() && in.back() == '=') ++padding;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++padding;
  // EVP_DecodeBlock skips surrounding whitespace, which a secret must not have.
  for (char c : in) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      throw std::invalid_argument("whsec_ secret: the part after the prefix is not base64 (whitespace)");
    }
  }
  std::string out(in.size() / 4 * 3, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
  if (len < 0) throw std::invalid_argument("whsec_ secret: the part after the prefix is not base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(static_cast<std::size_t>(len) - padding);
  return out;
}

}  // namespace

std::string webhook_key(std::string_view secret) {
  if (!secret.starts_with(secret_prefix)) return std::string(secret);
  auto key = base64_decode(std::string(secret.substr(secret_prefix.size())));
  if (key.empty()) throw std::invalid_argument("whsec_ secret: no key after the prefix");
  return key;
}

std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body) {
  const std::string key = webhook_key(secret);
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  return "v1," + base64_encode(mac, len);
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

}  // namespace drover::app
