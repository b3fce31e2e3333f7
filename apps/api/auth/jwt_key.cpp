// jwt_key.cpp - JWS verification keys from a secret, PEM or a JWK, and their checks, on OpenSSL 3.
#include "api/auth/jwt_key.hpp"

#include <drover_app/secret_strength.hpp>
#include <fmt/format.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <drover_app/base64.hpp>

namespace drover::api::auth {

namespace {

template <auto Free>
struct freer {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using bio_ptr = std::unique_ptr<BIO, freer<BIO_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, freer<BN_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, freer<EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, freer<EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, freer<EVP_MD_CTX_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, freer<OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, freer<OSSL_PARAM_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, freer<ECDSA_SIG_free>>;
using x509_ptr = std::unique_ptr<X509, freer<X509_free>>;

constexpr int min_rsa_bits = 2048;
constexpr std::size_t p256_coordinate_bytes = 32;

[[noreturn]] void refuse(const std::string& why) { throw std::invalid_argument(why); }

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Key files may never make OpenSSL prompt on a terminal for a passphrase.
int no_passphrase(char*, int, int, void*) { return 0; }

// The algorithm this key type verifies; refuses every other type and weak sizes.
jwt_alg alg_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: {
      if (EVP_PKEY_get_bits(key) < min_rsa_bits) refuse("RSA key is shorter than 2048 bits");
      // With e = 1 a "signature" is the padded hash itself: anyone could forge one.
      BIGNUM* e = nullptr;
      const bool usable_e =
          EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1 && BN_is_odd(e) && BN_num_bits(e) > 1;
      BN_free(e);
      if (!usable_e) refuse("RSA public exponent is not an odd number of at least 3");
      return jwt_alg::rs256;
    }
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 || std::strcmp(group, "prime256v1") != 0) {
        refuse("EC key is not on curve P-256");
      }
      return jwt_alg::es256;
    }
    default:
      refuse("key type is neither RSA nor EC P-256");
  }
}

std::shared_ptr<EVP_PKEY> share(pkey_ptr key) { return {key.release(), EVP_PKEY_free}; }

// A required base64url member of a JWK, decoded.
std::string jwk_bytes(const boost::json::object& jwk, const char* name) {
  const auto* v = jwk.if_contains(name);
  if (v == nullptr || !v->is_string()) refuse(std::string("JWK has no '") + name + "' string");
  auto decoded = drover::app::base64url_decode(v->get_string());
  if (!decoded || decoded->empty()) refuse(std::string("JWK member '") + name + "' is not base64url");
  return *decoded;
}

std::optional<std::string_view> jwk_string(const boost::json::object& jwk, const char* name) {
  const auto* v = jwk.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) refuse(std::string("JWK member '") + name + "' is not a string");
  return std::string_view(v->get_string());
}

bn_ptr to_bn(const std::string& big_endian) {
  bn_ptr bn(BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()), nullptr));
  if (!bn) throw std::bad_alloc();
  return bn;
}

// EVP_PKEY_fromdata: a public key of `type` ("RSA" or "EC") from its parameters.
pkey_ptr key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  params_ptr params(OSSL_PARAM_BLD_to_param(bld));
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    refuse(std::string("JWK does not hold a valid ") + type + " public key");
  }
  return pkey_ptr(key);
}

pkey_ptr rsa_from_jwk(const boost::json::object& jwk) {
  auto n = to_bn(jwk_bytes(jwk, "n"));
  auto e = to_bn(jwk_bytes(jwk, "e"));
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    throw std::bad_alloc();
  }
  return key_from_params("RSA", bld.get());
}

pkey_ptr ec_from_jwk(const boost::json::object& jwk) {
  if (jwk_string(jwk, "crv") != std::optional<std::string_view>("P-256")) refuse("EC JWK is not on curve P-256");
  auto x = jwk_bytes(jwk, "x");
  auto y = jwk_bytes(jwk, "y");
  if (x.size() != p256_coordinate_bytes || y.size() != p256_coordinate_bytes) {
    refuse("EC JWK coordinates are not 32 bytes");
  }
  // OpenSSL takes the point as one uncompressed octet string (SEC 1: 0x04 || x || y);
  // decoding it checks that the point is on the curve.
  std::string point = "\x04" + x + y;
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    throw std::bad_alloc();
  }
  auto key = key_from_params("EC", bld.get());
  pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) refuse("EC JWK is not a valid P-256 point");
  return key;
}

bool digest_verify(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input), input.size()) == 1;
}

// JWS carries ECDSA signatures as r||s, each 32 bytes; OpenSSL verifies DER.
std::optional<std::string> raw_ecdsa_to_der(std::string_view raw) {
  if (raw.size() != 2 * p256_coordinate_bytes) return std::nullopt;
  bn_ptr r(BN_bin2bn(bytes(raw), p256_coordinate_bytes, nullptr));
  bn_ptr s(BN_bin2bn(bytes(raw) + p256_coordinate_bytes, p256_coordinate_bytes, nullptr));
  ecdsa_sig_ptr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string_view to_string(jwt_alg a) {
  switch (a) {
    case jwt_alg::hs256:
      return "HS256";
    case jwt_alg::rs256:
      return "RS256";
    case jwt_alg::es256:
      return "ES256";
  }
  return "?";
}

jwt_key jwt_key::from_secret(std::string secret) {
  if (secret.size() < 32) refuse("HS256 secret is shorter than 32 bytes");
  if (app::guessable_secret(secret)) {
    refuse(
        fmt::format("HS256 secret has only {} different bytes, too few to resist guessing (e.g. openssl rand "
                    "-base64 48)",
                    app::distinct_bytes(secret)));
  }
  if (secret.size() > INT_MAX) refuse("HS256 secret is too long");
  jwt_key k;
  k.alg_ = jwt_alg::hs256;
  k.secret_ = std::move(secret);
  return k;
}

jwt_key jwt_key::from_pem(std::string_view pem) {
  if (pem.size() > INT_MAX) refuse("PEM text is too long");
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw std::bad_alloc();
  pkey_ptr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    bio_ptr again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!again) throw std::bad_alloc();
    x509_ptr cert(PEM_read_bio_X509(again.get(), nullptr, no_passphrase, nullptr));
    if (cert) key.reset(X509_get_pubkey(cert.get()));
  }
  if (!key) refuse("no PEM public key (BEGIN PUBLIC KEY) or certificate found");
  jwt_key k;
  k.alg_ = alg_of(key.get());
  k.pkey_ = share(std::move(key));
  return k;
}

jwt_key jwt_key::from_jwk(const boost::json::object& jwk) {
  const auto kty = jwk_string(jwk, "kty");
  if (!kty) refuse("JWK has no 'kty'");
  if (auto use = jwk_string(jwk, "use"); use && *use != "sig") refuse("JWK is not a signing key (use)");
  pkey_ptr key;
  if (*kty == "RSA") {
    key = rsa_from_jwk(jwk);
  } else if (*kty == "EC") {
    key = ec_from_jwk(jwk);
  } else {
    refuse("JWK kty is neither RSA nor EC");
  }
  jwt_key k;
  k.alg_ = alg_of(key.get());
  if (auto alg = jwk_string(jwk, "alg"); alg && *alg != to_string(k.alg_)) {
    refuse("JWK alg does not match its key type");
  }
  k.pkey_ = share(std::move(key));
  return k;
}

bool jwt_key::verify(std::string_view signing_input, std::string_view signature) const {
  switch (alg_) {
    case jwt_alg::hs256: {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), bytes(signing_input),
               signing_input.size(), mac, &len) == nullptr) {
        return false;
      }
      return signature.size() == len && CRYPTO_memcmp(mac, signature.data(), len) == 0;
    }
    case jwt_alg::rs256:
      return digest_verify(pkey_.get(), signing_input, signature);
    case jwt_alg::es256: {
      auto der = raw_ecdsa_to_der(signature);
      return der && digest_verify(pkey_.get(), signing_input, *der);
    }
  }
  return false;
}

}  // namespace drover::api::auth
