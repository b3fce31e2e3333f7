// jwt_verifier.hpp - checks the bearer tokens of the API: a JWT's signature and claims, and the user it names.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace drover::api::auth {

class jwt_key;
class jwks_file;

// Where the keys come from and what the claims must say. Exactly one of the three key
// settings is set.
struct jwt_settings {
  std::string hs256_secret;         // AUTH_JWT_SECRET: HS256, at least 32 bytes
  std::string public_key_file;      // AUTH_JWT_PUBLIC_KEY_FILE: PEM; RSA -> RS256, EC P-256 -> ES256
  std::string jwks_file;            // AUTH_JWKS_FILE: JWKS document; keys by `kid`, reloaded on change
  std::chrono::seconds leeway{30};  // AUTH_JWT_LEEWAY_S: clock skew allowed for exp, nbf, iat
  std::string issuer;               // AUTH_JWT_ISSUER: `iss` must equal it; empty: not checked
  std::string audience;             // AUTH_JWT_AUDIENCE: `aud` must hold it; empty: not checked
  std::chrono::milliseconds jwks_check_interval{1000};  // how often the JWKS file's stamp is looked at

  // The settings from the environment variables named above (unset or empty: the default).
  // Throws std::invalid_argument when AUTH_JWT_LEEWAY_S is not a whole number of seconds
  // from 0 to 86400.
  static jwt_settings from_env();
};

// Who a verified token speaks for.
struct identity {
  std::string user;            // the `sub` claim
  boost::json::object claims;  // the whole payload, for what routes may want beyond `sub`
  // When the token stops being accepted (`exp` and the leeway): what a connection that
  // outlives one request (a Socket.IO session) must not outlive.
  std::chrono::system_clock::time_point valid_until = std::chrono::system_clock::time_point::max();
};

// The outcome of a check: `who` when the token is good; otherwise `error`, a short reason
// that is safe to show the client ("token expired", "bad signature", "unknown key id",
// ...). Reasons never quote the token or any key.
struct verification {
  std::optional<identity> who;
  std::string error;
  explicit operator bool() const { return who.has_value(); }
};

// Verifies compact-serialized JWS tokens (RFC 7515, 7519) with HS256, RS256 or ES256.
//
// A token is accepted when, in this order:
//   1. it is at most 8 KiB and has exactly three base64url parts;
//   2. its header is a JSON object whose `alg` is the configured key's algorithm (the key
//      decides, never the header: `none`, an HS256 token against a public key, an RS256
//      token against an EC key are all refused), whose `typ`, if any, is JWT or at+jwt
//      (RFC 9068; case-insensitive, with or without "application/"), and which has no
//      `crit`. With a JWKS file the header's `kid` picks the key. Keys embedded in or
//      pointed to by the header (jwk, jku, x5u, x5c) are never used, and such a token is
//      refused;
//   3. the signature checks out;
//   4. its payload is a JSON object with a numeric `exp` not past (now < exp + leeway);
//      `nbf`, if present, not ahead (nbf <= now + leeway); `iat`, if present, not in the
//      future (iat <= now + leeway); `iss` equal to the configured issuer and `aud` (a
//      string or an array of strings) holding the configured audience, when they are
//      configured; and `sub` a non-empty string of at most 256 bytes without control
//      characters.
//
// Thread safety: verify() and verify_bearer() may be called from any number of threads at
// once. Everything is immutable after construction except the JWKS key set, which is
// checked and swapped under a mutex (see jwks_file.hpp).
class jwt_verifier {
 public:
  static constexpr std::size_t max_token_bytes = 8192;
  static constexpr std::size_t max_subject_bytes = 256;

  // Loads the key. Throws std::invalid_argument when no key setting is set or more than
  // one is, when the secret is too short, when the leeway is outside 0..86400 s, or when a
  // key file cannot be read or holds no usable key; the message names the setting and the
  // file, never the key material.
  explicit jwt_verifier(jwt_settings s);

  // Checks `token` against the system clock.
  verification verify(std::string_view token) const;
  // Checks `token` as if the time were `now_s` (seconds since the epoch).
  verification verify(std::string_view token, std::int64_t now_s) const;
  // Checks the token of an Authorization header value, "Bearer <token>" (the scheme is
  // case-insensitive; surrounding blanks are ignored), against the system clock.
  verification verify_bearer(std::string_view authorization_header) const;

 private:
  jwt_settings settings_;
  std::shared_ptr<const jwt_key> key_;  // HS256 secret or PEM key; null with a JWKS file
  std::shared_ptr<jwks_file> jwks_;     // null without a JWKS file
};

}  // namespace drover::api::auth
