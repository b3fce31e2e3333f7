// jwt_key.hpp - one key that checks JWS signatures, bound to the one algorithm it checks.
#pragma once

#include <openssl/types.h>

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace drover::api::auth {

// The algorithms the API accepts (RFC 7518 section 3.1).
enum class jwt_alg { hs256, rs256, es256 };
// "HS256", "RS256" or "ES256": the spelling of the JWS `alg` header.
std::string_view to_string(jwt_alg a);

// A verification key. Its algorithm comes from the key itself (a shared secret is HS256,
// an RSA key RS256, an EC P-256 key ES256), which is what refuses algorithm confusion:
// the caller compares the token's `alg` with alg() and never picks a code path from the
// header. Thread safety: immutable after construction; verify() may run on any number of
// threads at once (each call uses its own OpenSSL contexts).
class jwt_key {
 public:
  // An HS256 key. Throws std::invalid_argument when the secret is shorter than 32 bytes,
  // the hash size that RFC 7518 section 3.2 requires.
  static jwt_key from_secret(std::string secret);

  // The public key in PEM text: a SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") or, failing
  // that, the key of a certificate ("BEGIN CERTIFICATE"; the certificate itself is not
  // checked). Throws std::invalid_argument with a reason that never quotes the text:
  // no key, a type other than RSA or EC P-256, an RSA modulus under 2048 bits or an RSA
  // exponent that is not odd and at least 3.
  static jwt_key from_pem(std::string_view pem);

  // A JSON Web Key (RFC 7517/7518 section 6): kty RSA (n, e) or EC with crv P-256 (x, y).
  // `use`, when present, must be "sig" and `alg`, when present, the key's algorithm.
  // Throws std::invalid_argument with the reason, as from_pem does.
  static jwt_key from_jwk(const boost::json::object& jwk);

  jwt_alg alg() const { return alg_; }

  // Whether `signature` (the decoded third part of a JWS) signs `signing_input` (the
  // first two parts and their dot, as they appear in the token). ES256 signatures are
  // the raw 64-byte r||s of RFC 7518 section 3.4. Never throws.
  bool verify(std::string_view signing_input, std::string_view signature) const;

 private:
  jwt_alg alg_ = jwt_alg::hs256;
  std::string secret_;              // HS256 only
  std::shared_ptr<EVP_PKEY> pkey_;  // RS256 and ES256
};

}  // namespace drover::api::auth
