// jwt_verifier_fuzz.cpp - libFuzzer harness of the API's bearer-token check
// (apps/api/auth/jwt_verifier.cpp, jwt_key.cpp) and the base64url under it.
//
// Input: one byte choosing the mode, then
//   0: a compact token, checked by an HS256 and an ES256 verifier;
//   1: an Authorization header value;
//   2: header JSON, a line feed, payload JSON: the harness signs them with the HS256
//      secret, so the fuzzer gets past the signature to the header and claims checks;
//   3: a JWK (JSON), read as a verification key.
// Properties: an accepted token's user is its payload's `sub`, which is a non-empty
// string of at most max_subject_bytes; a refusal always has a reason.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include <drover_app/base64.hpp>
#include "api/auth/jwt_key.hpp"
#include "api/auth/jwt_verifier.hpp"

namespace auth = drover::api::auth;

namespace {

constexpr std::int64_t now_s = 1700000000;  // tokens' times are chosen around it
const std::string secret = "fuzzing-secret-of-at-least-32-bytes!";

std::unique_ptr<auth::jwt_verifier> hs256;
std::unique_ptr<auth::jwt_verifier> es256;

auth::jwt_settings settings() {
  auth::jwt_settings s;
  s.issuer = "https://issuer.example";
  s.audience = "drover";
  return s;
}

// An ES256 verifier needs a PEM file: a fresh P-256 key's public half, in a temporary file.
std::unique_ptr<auth::jwt_verifier> make_es256() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  char path[] = "/tmp/drover-fuzz-jwt-XXXXXX";
  const int fd = mkstemp(path);
  FILE* f = fd >= 0 ? fdopen(fd, "w") : nullptr;
  if (!key || !f || PEM_write_PUBKEY(f, key.get()) != 1) std::abort();
  std::fclose(f);
  auto s = settings();
  s.public_key_file = path;
  auto v = std::make_unique<auth::jwt_verifier>(s);
  unlink(path);
  return v;
}

std::string base64url(std::string_view bytes) {
  auto s = drover::app::base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string signed_token(std::string_view header, std::string_view payload) {
  const auto input = base64url(header) + "." + base64url(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

void check(const auth::verification& v) {
  if (!v) {
    if (v.error.empty()) std::abort();
    return;
  }
  const auto* sub = v.who->claims.if_contains("sub");
  if (!sub || !sub->is_string() || sub->get_string() != v.who->user) std::abort();
  if (v.who->user.empty() || v.who->user.size() > auth::jwt_verifier::max_subject_bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto s = settings();
  s.hs256_secret = secret;
  hs256 = std::make_unique<auth::jwt_verifier>(s);
  es256 = make_es256();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      check(hs256->verify(input, now_s));
      check(es256->verify(input, now_s));
      break;
    case 1:
      check(hs256->verify_bearer(input));
      break;
    case 2: {
      const auto newline = input.find('\n');
      if (newline == std::string_view::npos) return 0;
      const auto token = signed_token(input.substr(0, newline), input.substr(newline + 1));
      const auto v = hs256->verify(token, now_s);
      check(v);
      if (token.size() > auth::jwt_verifier::max_token_bytes && v) std::abort();
      break;
    }
    default: {
      boost::system::error_code ec;
      auto jwk = boost::json::parse(input, ec);
      if (ec || !jwk.is_object()) return 0;
      try {
        const auto key = auth::jwt_key::from_jwk(jwk.get_object());
        (void)key.verify("e30.e30", std::string(64, '\x01'));
      } catch (const std::invalid_argument&) {
      }
      break;
    }
  }
  return 0;
}
