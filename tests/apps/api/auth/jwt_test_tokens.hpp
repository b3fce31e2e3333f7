// jwt_test_tokens.hpp - keys, tokens, JWKS documents and key files for the JWT verifier's tests.
// Everything is made with OpenSSL here, so that the tests do not trust the code under test.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/auth/jwt_verifier.hpp"

namespace jwt_test {

namespace json = boost::json;
using drover::api::auth::jwt_settings;
using drover::api::auth::jwt_verifier;
using drover::api::auth::verification;

inline constexpr std::int64_t now = 1'800'000'000;
inline const std::string secret = "a-test-secret-that-is-32-bytes-long!!";

// --- Keys and signatures.

struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct keys {
  pkey_ptr rsa1{EVP_RSA_gen(2048)};
  pkey_ptr rsa2{EVP_RSA_gen(2048)};
  pkey_ptr rsa_weak{EVP_RSA_gen(1024)};
  pkey_ptr ec1{EVP_EC_gen("P-256")};
  pkey_ptr ec2{EVP_EC_gen("P-256")};
  pkey_ptr ec384{EVP_EC_gen("P-384")};
};

inline const keys& k() {
  static const keys all;  // RSA generation is slow: once per test binary
  return all;
}

inline const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

inline std::string b64url(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

inline std::string bn_bytes(const BIGNUM* bn, int pad = 0) {
  std::string out(static_cast<std::size_t>(pad ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

inline std::string hs256(std::string_view key, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(input), input.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// RS256 (PKCS #1 v1.5) or ES256 (converted from DER to the raw r||s of JWS).
inline std::string sign_with(EVP_PKEY* key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key), 1);
  EVP_DigestSign(ctx, nullptr, &len, bytes(input), input.size());
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(input), input.size()), 1);
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return sig;
  const unsigned char* p = bytes(sig);
  ECDSA_SIG* der = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw = bn_bytes(ECDSA_SIG_get0_r(der), 32) + bn_bytes(ECDSA_SIG_get0_s(der), 32);
  ECDSA_SIG_free(der);
  return raw;
}

inline std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

inline std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  const bool ec_coordinate = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
  std::string out = bn_bytes(bn, ec_coordinate ? 32 : 0);
  BN_free(bn);
  return b64url(out);
}

inline json::object jwk_of(EVP_PKEY* key, std::string kid) {
  json::object jwk{{"kid", kid}, {"use", "sig"}};
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    jwk["kty"] = "RSA";
    jwk["n"] = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
    jwk["e"] = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
  } else {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X);
    jwk["y"] = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  }
  return jwk;
}

inline std::string jwks_of(std::vector<json::object> jwks) {
  json::array all;
  for (auto& j : jwks) all.push_back(std::move(j));
  return json::serialize(json::object{{"keys", std::move(all)}});
}

inline json::object claims(json::object extra = {}) {
  json::object c{{"sub", "alice"}, {"exp", now + 600}, {"iat", now}};
  for (auto& [name, value] : extra) c[name] = value;
  return c;
}

// A token with these header and payload JSON texts; `sign` gets the signing input.
template <class Sign>
std::string token_of(std::string_view header, std::string_view payload, Sign sign) {
  std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + b64url(sign(input));
}

inline std::string hs_token(const json::object& payload, std::string_view key = secret) {
  return token_of(R"({"alg":"HS256","typ":"JWT"})", json::serialize(payload),
                  [&](std::string_view in) { return hs256(key, in); });
}

inline std::string pk_token(EVP_PKEY* key, const json::object& payload, std::string kid = "") {
  json::object header{{"alg", EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? "ES256" : "RS256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return token_of(json::serialize(header), json::serialize(payload),
                  [&](std::string_view in) { return sign_with(key, in); });
}

// --- Files.

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "drover-jwt-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, std::string_view text) const {
    auto p = path / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p.string();
  }
};

// Moves a file's mtime, so that a rewrite is seen even on a coarse-grained file system.
inline void set_mtime(const std::string& path, std::int64_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// A reload test's step: the file `name` in `dir` written anew and stamped `seconds` (its
// mtime); returns its path.
inline std::string write_version(const temp_dir& dir, const std::string& name, std::string_view text,
                                 std::int64_t seconds) {
  auto path = dir.write(name, text);
  set_mtime(path, seconds);
  return path;
}

inline jwt_settings with_secret() {
  jwt_settings s;
  s.hs256_secret = secret;
  return s;
}

inline jwt_settings with_pem(const temp_dir& dir, EVP_PKEY* key) {
  jwt_settings s;
  s.public_key_file = dir.write("key.pem", pem_of(key));
  return s;
}

inline void expect_ok(const verification& v, const char* user = "alice") {
  ASSERT_TRUE(v) << v.error;
  EXPECT_EQ(v.who->user, user);
  EXPECT_TRUE(v.error.empty());
}

inline void expect_refused(const verification& v, std::string_view error) {
  EXPECT_FALSE(v.who);
  EXPECT_EQ(v.error, error);
}

inline std::string thrown_by(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace jwt_test
