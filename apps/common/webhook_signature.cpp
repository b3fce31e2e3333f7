// webhook_signature.cpp - HMAC-SHA256 (OpenSSL) signatures in the Standard Webhooks format,
// with the specification's "whsec_" secrets.
#include "drover_app/webhook_signature.hpp"

#include "drover_app/secret_strength.hpp"

#include "drover_app/ascii.hpp"
#include "drover_app/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <stdexcept>

namespace drover::app {

namespace {

constexpr std::string_view secret_prefix = "whsec_";

}  // namespace

std::string webhook_key(std::string_view secret) {
  if (!secret.starts_with(secret_prefix)) return std::string(secret);
  auto key = base64_decode(secret.substr(secret_prefix.size()));
  if (!key) throw std::invalid_argument("whsec_ secret: the part after the prefix is not base64");
  if (key->empty()) throw std::invalid_argument("whsec_ secret: no key after the prefix");
  return *key;
}

void require_production_webhook_secret(std::string_view secret, std::string_view setting) {
  const std::string what(setting);
  if (secret.empty()) {
    throw std::invalid_argument(what + " is not set: set the same secret for drover api and drover workers, e.g. " +
                                what + "=whsec_$(openssl rand -base64 32), or run with AUTH_MODE=none for development");
  }
  if (secret == development_webhook_secret) {
    throw std::invalid_argument(what +
                                " is the development default, with which anyone can forge job-completed webhooks; set "
                                "a secret of your own, or run with AUTH_MODE=none for development");
  }
  std::string key;
  try {
    key = webhook_key(secret);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(what + ": " + e.what());
  }
  const bool whsec = secret.starts_with(secret_prefix);
  const std::size_t minimum = whsec ? min_webhook_key_bytes : min_plain_webhook_secret_chars;
  if (key.size() < minimum) {
    throw std::invalid_argument(what + " is too short to resist guessing: " + std::to_string(key.size()) +
                                (whsec ? " bytes of key after whsec_, at least " : " characters, at least ") +
                                std::to_string(minimum) + " needed; e.g. " + what +
                                "=whsec_$(openssl rand -base64 32)");
  }
  if (guessable_secret(key)) {
    throw std::invalid_argument(what + " has only " + std::to_string(distinct_bytes(key)) +
                                " different bytes, too few to resist guessing; e.g. " + what +
                                "=whsec_$(openssl rand -base64 32)");
  }
}

void require_usable_webhook_secret(std::string_view secret, std::string_view setting, bool development) {
  if (!development) {
    require_production_webhook_secret(secret, setting);  // names the setting itself
    return;
  }
  try {
    webhook_key(secret);  // a malformed whsec_ secret would fail every delivery
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(setting) + ": " + e.what());
  }
}

namespace {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

std::string sign_webhook(std::string_view secret, std::string_view id, std::int64_t timestamp, std::string_view body) {
  const std::string key = webhook_key(secret);
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  return "v1," + base64_encode(hmac_sha256(key, message));
}

std::string hmac_key_identity(std::string_view key) {
  constexpr std::size_t block = 64;  // SHA-256's
  std::string k;
  if (key.size() > block) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(key.data(), key.size(), digest, &len, EVP_sha256(), nullptr);
    k.assign(reinterpret_cast<const char*>(digest), len);
  } else {
    k.assign(key);
  }
  while (!k.empty() && k.back() == '\0') k.pop_back();
  return k;
}

bool same_webhook_key(std::string_view a, std::string_view b) {
  return trim_space(a) == trim_space(b) || hmac_key_identity(webhook_key(a)) == hmac_key_identity(webhook_key(b));
}

std::string derived_webhook_secret(std::string_view secret, std::string_view purpose) {
  return std::string(secret_prefix) + base64_encode(hmac_sha256(webhook_key(secret), purpose));
}

webhook_check verify_webhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                             std::string_view signature_header, std::string_view body, std::chrono::seconds tolerance) {
  if (id.empty() || timestamp.empty() || signature_header.empty()) return webhook_check::missing_headers;
  std::int64_t ts = 0;
  auto [p, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc() || p != timestamp.data() + timestamp.size()) return webhook_check::bad_timestamp;
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (ts < now - tolerance.count() || ts > now + tolerance.count()) return webhook_check::too_old_or_new;
  const std::string expected = sign_webhook(secret, id, ts, body);
  // The header may carry several signatures (key rotation), separated by spaces.
  std::size_t start = 0;
  while (start <= signature_header.size()) {
    auto end = signature_header.find(' ', start);
    auto candidate =
        signature_header.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
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
    case webhook_check::ok:
      return "ok";
    case webhook_check::missing_headers:
      return "missing webhook-id, webhook-timestamp or webhook-signature";
    case webhook_check::bad_timestamp:
      return "webhook-timestamp is not a number";
    case webhook_check::too_old_or_new:
      return "webhook-timestamp is more than 5 minutes away (replay?)";
    case webhook_check::bad_signature:
      return "webhook-signature does not match";
  }
  return "unknown";
}

}  // namespace drover::app
