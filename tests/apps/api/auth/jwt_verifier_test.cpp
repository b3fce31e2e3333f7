// jwt_verifier_test.cpp - bearer tokens: keys, algorithms, signatures, claims, JWKS reload.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "api/auth/jwt_verifier.hpp"

namespace json = boost::json;
using drover::api::auth::jwt_settings;
using drover::api::auth::jwt_verifier;
using drover::api::auth::verification;

namespace {

constexpr std::int64_t now = 1'800'000'000;
const std::string secret = "a-test-secret-that-is-32-bytes-long!!";

// --- Keys and signatures, made here with OpenSSL so that the test does not trust the code under test.

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

const keys& k() {
  static const keys all;  // RSA generation is slow: once per run
  return all;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string b64url(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string bn_bytes(const BIGNUM* bn, int pad = 0) {
  std::string out(static_cast<std::size_t>(pad ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

std::string hs256(std::string_view key, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(input), input.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// RS256 (PKCS #1 v1.5) or ES256 (converted from DER to the raw r||s of JWS).
std::string sign_with(EVP_PKEY* key, std::string_view input) {
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

std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  const bool ec_coordinate = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
  std::string out = bn_bytes(bn, ec_coordinate ? 32 : 0);
  BN_free(bn);
  return b64url(out);
}

json::object jwk_of(EVP_PKEY* key, std::string kid) {
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

std::string jwks_of(std::vector<json::object> jwks) {
  json::array all;
  for (auto& j : jwks) all.push_back(std::move(j));
  return json::serialize(json::object{{"keys", std::move(all)}});
}

json::object claims(json::object extra = {}) {
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

std::string hs_token(const json::object& payload, std::string_view key = secret) {
  return token_of(R"({"alg":"HS256","typ":"JWT"})", json::serialize(payload),
                  [&](std::string_view in) { return hs256(key, in); });
}

std::string pk_token(EVP_PKEY* key, const json::object& payload, std::string kid = "") {
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
void set_mtime(const std::string& path, std::int64_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

jwt_settings with_secret() {
  jwt_settings s;
  s.hs256_secret = secret;
  return s;
}

jwt_settings with_pem(const temp_dir& dir, EVP_PKEY* key) {
  jwt_settings s;
  s.public_key_file = dir.write("key.pem", pem_of(key));
  return s;
}

void expect_ok(const verification& v, const char* user = "alice") {
  ASSERT_TRUE(v) << v.error;
  EXPECT_EQ(v.who->user, user);
  EXPECT_TRUE(v.error.empty());
}

void expect_refused(const verification& v, std::string_view error) {
  EXPECT_FALSE(v.who);
  EXPECT_EQ(v.error, error);
}

std::string thrown_by(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

// --- Good tokens.

TEST(JwtVerifier, AcceptsHs256WithTheSharedSecret) {
  jwt_verifier v(with_secret());
  auto r = v.verify(hs_token(claims({{"role", "admin"}})), now);
  expect_ok(r);
  EXPECT_EQ(r.who->claims.at("role"), "admin");
}

TEST(JwtVerifier, AcceptsRs256AndEs256WithAPemKey) {
  temp_dir dir;
  expect_ok(jwt_verifier(with_pem(dir, k().rsa1.get())).verify(pk_token(k().rsa1.get(), claims()), now));
  expect_ok(jwt_verifier(with_pem(dir, k().ec1.get())).verify(pk_token(k().ec1.get(), claims()), now));
}

TEST(JwtVerifier, APemCertificateLendsItsKey) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, k().ec1.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, bytes("idp"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  ASSERT_GT(X509_sign(cert, k().ec1.get(), EVP_sha256()), 0);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  std::string pem(data, static_cast<std::size_t>(BIO_get_mem_data(bio, &data)));
  BIO_free(bio);
  X509_free(cert);

  temp_dir dir;
  jwt_settings s;
  s.public_key_file = dir.write("cert.pem", pem);
  jwt_verifier v(s);
  expect_ok(v.verify(pk_token(k().ec1.get(), claims()), now));
  expect_refused(v.verify(pk_token(k().ec2.get(), claims()), now), "bad signature");
}

TEST(JwtVerifier, JwksPicksTheKeyByKid) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_file = dir.write("jwks.json", jwks_of({jwk_of(k().rsa1.get(), "r1"), jwk_of(k().ec1.get(), "e1")}));
  jwt_verifier v(s);
  expect_ok(v.verify(pk_token(k().rsa1.get(), claims(), "r1"), now));
  expect_ok(v.verify(pk_token(k().ec1.get(), claims(), "e1"), now));
  expect_refused(v.verify(pk_token(k().rsa1.get(), claims(), "e1"), now), "algorithm not allowed");
  expect_refused(v.verify(pk_token(k().rsa1.get(), claims(), "nope"), now), "unknown key id");
  expect_refused(v.verify(pk_token(k().rsa1.get(), claims()), now), "missing key id");
  expect_refused(v.verify(pk_token(k().rsa2.get(), claims(), "r1"), now), "bad signature");
}

TEST(JwtVerifier, AcceptsTheTypValuesOfJwtAndAccessTokens) {
  jwt_verifier v(with_secret());
  for (const char* typ : {"JWT", "jwt", "application/jwt", "at+jwt", "application/at+JWT"}) {
    auto t = token_of(json::serialize(json::object{{"alg", "HS256"}, {"typ", typ}}), json::serialize(claims()),
                      [](std::string_view in) { return hs256(secret, in); });
    expect_ok(v.verify(t, now));
  }
  auto no_typ = token_of(R"({"alg":"HS256"})", json::serialize(claims()), [](std::string_view in) { return hs256(secret, in); });
  expect_ok(v.verify(no_typ, now));
}

// --- Signatures and algorithms.

TEST(JwtVerifier, RefusesABadSignatureAndATamperedPayload) {
  jwt_verifier v(with_secret());
  expect_refused(v.verify(hs_token(claims(), "another-secret-that-is-32-bytes-long"), now), "bad signature");
  auto good = hs_token(claims());
  auto forged = hs_token(claims({{"sub", "mallory"}}), "another-secret-that-is-32-bytes-long");
  // mallory's payload under alice's signature
  auto dot1 = good.find('.'), dot2 = good.rfind('.');
  auto fdot1 = forged.find('.'), fdot2 = forged.rfind('.');
  auto tampered = good.substr(0, dot1) + forged.substr(fdot1, fdot2 - fdot1) + good.substr(dot2);
  expect_refused(v.verify(tampered, now), "bad signature");

  temp_dir dir;
  jwt_verifier ec(with_pem(dir, k().ec1.get()));
  auto es = pk_token(k().ec1.get(), claims());
  expect_ok(ec.verify(es, now));
  expect_refused(ec.verify(pk_token(k().ec2.get(), claims()), now), "bad signature");
  // A DER signature where JWS wants r||s, and r||s cut short.
  auto input = es.substr(0, es.rfind('.'));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k().ec1.get());
  EVP_DigestSign(ctx, nullptr, &len, bytes(input), input.size());
  std::string der(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len, bytes(input), input.size());
  der.resize(len);
  EVP_MD_CTX_free(ctx);
  expect_refused(ec.verify(input + "." + b64url(der), now), "bad signature");
  expect_refused(ec.verify(input + "." + b64url(sign_with(k().ec1.get(), input).substr(0, 63)), now), "bad signature");
}

TEST(JwtVerifier, RefusesAlgNone) {
  temp_dir dir;
  jwt_verifier hs(with_secret());
  jwt_verifier rs(with_pem(dir, k().rsa1.get()));
  for (const char* alg : {"none", "None", "NONE"}) {
    auto unsigned_token = b64url(json::serialize(json::object{{"alg", alg}, {"typ", "JWT"}})) + "." +
                          b64url(json::serialize(claims())) + ".";
    expect_refused(hs.verify(unsigned_token, now), "unsigned tokens are refused");
    expect_refused(rs.verify(unsigned_token, now), "unsigned tokens are refused");
  }
}

TEST(JwtVerifier, TheKeyDecidesTheAlgorithmNotTheHeader) {
  temp_dir dir;
  const std::string rsa_pem = pem_of(k().rsa1.get());
  jwt_verifier rs(with_pem(dir, k().rsa1.get()));
  // The classic confusion: HMAC keyed with the public key's PEM text.
  expect_refused(rs.verify(hs_token(claims(), rsa_pem), now), "algorithm not allowed");
  expect_refused(rs.verify(pk_token(k().ec1.get(), claims()), now), "algorithm not allowed");

  jwt_verifier es(with_pem(dir, k().ec1.get()));
  expect_refused(es.verify(pk_token(k().rsa1.get(), claims()), now), "algorithm not allowed");
  expect_refused(es.verify(hs_token(claims(), pem_of(k().ec1.get())), now), "algorithm not allowed");

  jwt_verifier hs(with_secret());
  expect_refused(hs.verify(pk_token(k().rsa1.get(), claims()), now), "algorithm not allowed");

  jwt_settings s;
  s.jwks_file = dir.write("jwks.json", jwks_of({jwk_of(k().rsa1.get(), "r1")}));
  jwt_verifier jwks(s);
  auto confused = token_of(R"({"alg":"HS256","kid":"r1"})", json::serialize(claims()),
                           [&](std::string_view in) { return hs256(rsa_pem, in); });
  expect_refused(jwks.verify(confused, now), "algorithm not allowed");
  // Other spellings and algorithms of the same family are not this key's either.
  auto rs512 = token_of(R"({"alg":"RS512","kid":"r1"})", json::serialize(claims()),
                        [&](std::string_view in) { return sign_with(k().rsa1.get(), in); });
  expect_refused(jwks.verify(rs512, now), "algorithm not allowed");
  auto lower = token_of(R"({"alg":"rs256","kid":"r1"})", json::serialize(claims()),
                        [&](std::string_view in) { return sign_with(k().rsa1.get(), in); });
  expect_refused(jwks.verify(lower, now), "algorithm not allowed");
}

TEST(JwtVerifier, IgnoresKeysCarriedByTheToken) {
  temp_dir dir;
  jwt_verifier rs(with_pem(dir, k().rsa1.get()));
  json::object header{{"alg", "RS256"}, {"jwk", jwk_of(k().rsa2.get(), "attacker")}, {"jku", "https://evil.example/"}};
  auto t = token_of(json::serialize(header), json::serialize(claims()),
                    [&](std::string_view in) { return sign_with(k().rsa2.get(), in); });
  expect_refused(rs.verify(t, now), "bad signature");
}

// --- Header shape.

TEST(JwtVerifier, RefusesOtherTypesAndCriticalHeaders) {
  jwt_verifier v(with_secret());
  auto hs = [](std::string_view in) { return hs256(secret, in); };
  const auto payload = json::serialize(claims());
  expect_refused(v.verify(token_of(R"({"alg":"HS256","typ":"JWS"})", payload, hs), now), "unsupported token type");
  expect_refused(v.verify(token_of(R"({"alg":"HS256","typ":7})", payload, hs), now), "unsupported token type");
  expect_refused(v.verify(token_of(R"({"alg":"HS256","crit":["exp"],"exp":1})", payload, hs), now),
                 "unsupported critical header");
  expect_refused(v.verify(token_of(R"({"typ":"JWT"})", payload, hs), now), "malformed token");
  expect_refused(v.verify(token_of(R"({"alg":256})", payload, hs), now), "malformed token");
}

TEST(JwtVerifier, RefusesMalformedTokens) {
  jwt_verifier v(with_secret());
  auto good = hs_token(claims());
  auto hs = [](std::string_view in) { return hs256(secret, in); };
  auto last_dot = good.rfind('.');
  const std::string cases[] = {
      good.substr(0, last_dot),                          // two parts
      good + ".e30",                                      // four parts
      "..",                                               // three empty parts
      "!!." + good.substr(good.find('.') + 1),            // header not base64url
      good.substr(0, last_dot) + ".a+b/",                 // signature in plain base64
      good.substr(0, last_dot) + ".abc=",                 // padded signature
      token_of("[1,2]", json::serialize(claims()), hs),  // header not an object
      token_of("{\"alg\":\"HS256\"", json::serialize(claims()), hs),  // header not JSON
      token_of(R"({"alg":"HS256"})", "\"alice\"", hs),  // signed, but the payload is not an object
      token_of(R"({"alg":"HS256"})", "{\"sub\":", hs),  // signed, but the payload is not JSON
  };
  for (const auto& t : cases) expect_refused(v.verify(t, now), "malformed token");
  expect_refused(v.verify("", now), "missing token");
  expect_refused(v.verify(std::string(jwt_verifier::max_token_bytes + 1, 'a'), now), "token too long");
  // A good token padded past the cap is refused before any decoding.
  auto huge = hs_token(claims({{"pad", std::string(jwt_verifier::max_token_bytes, 'x')}}));
  expect_refused(v.verify(huge, now), "token too long");
}

// --- Claims.

TEST(JwtVerifier, TimeClaimsWithLeeway) {
  jwt_verifier v(with_secret());  // leeway 30 s
  struct {
    json::object payload;
    const char* error;  // nullptr: accepted
  } cases[] = {
      {claims({{"exp", now - 31}}), "token expired"},
      {claims({{"exp", now - 30}}), "token expired"},  // now >= exp + leeway
      {claims({{"exp", now - 29}}), nullptr},
      {claims({{"exp", now - 29.5}}), nullptr},  // NumericDate may be fractional
      {claims({{"exp", "tomorrow"}}), "malformed exp claim"},
      {claims({{"nbf", now + 30}}), nullptr},
      {claims({{"nbf", now + 31}}), "token not yet valid"},
      {claims({{"nbf", "soon"}}), "malformed nbf claim"},
      {claims({{"iat", now + 30}}), nullptr},
      {claims({{"iat", now + 31}}), "token issued in the future"},
      {claims({{"iat", nullptr}}), "malformed iat claim"},
      {claims({{"exp", std::uint64_t{18'000'000'000'000'000'000u}}}), nullptr},
  };
  for (const auto& c : cases) {
    auto r = v.verify(hs_token(c.payload), now);
    if (c.error) {
      expect_refused(r, c.error);
    } else {
      expect_ok(r);
    }
  }
  auto no_exp = claims();
  no_exp.erase("exp");
  expect_refused(v.verify(hs_token(no_exp), now), "token has no expiry");

  auto strict = with_secret();
  strict.leeway = std::chrono::seconds(0);
  jwt_verifier z(strict);
  expect_refused(z.verify(hs_token(claims({{"exp", now}})), now), "token expired");
  expect_ok(z.verify(hs_token(claims({{"exp", now + 1}, {"nbf", now}, {"iat", now}})), now));
  expect_refused(z.verify(hs_token(claims({{"nbf", now + 1}})), now), "token not yet valid");
}

TEST(JwtVerifier, SystemClockOverload) {
  jwt_verifier v(with_secret());
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  expect_ok(v.verify(hs_token(json::object{{"sub", "alice"}, {"exp", t + 60}})));
  expect_refused(v.verify(hs_token(json::object{{"sub", "alice"}, {"exp", t - 60}})), "token expired");
}

TEST(JwtVerifier, IssuerAndAudienceWhenConfigured) {
  auto s = with_secret();
  s.issuer = "https://id.example/";
  s.audience = "drover";
  jwt_verifier v(s);
  const json::object iss{{"iss", "https://id.example/"}};
  auto with = [&](json::object extra) {
    extra["iss"] = "https://id.example/";
    return claims(std::move(extra));
  };
  expect_ok(v.verify(hs_token(with({{"aud", "drover"}})), now));
  expect_ok(v.verify(hs_token(with({{"aud", json::array{"other", "drover"}}})), now));
  expect_refused(v.verify(hs_token(with({{"aud", json::array{"other", "drovers"}}})), now), "wrong audience");
  expect_refused(v.verify(hs_token(with({{"aud", "Drover"}})), now), "wrong audience");
  expect_refused(v.verify(hs_token(with({})), now), "wrong audience");
  expect_refused(v.verify(hs_token(with({{"aud", json::array{1, 2}}})), now), "wrong audience");
  expect_refused(v.verify(hs_token(claims({{"aud", "drover"}})), now), "wrong issuer");
  expect_refused(v.verify(hs_token(claims({{"aud", "drover"}, {"iss", "https://evil.example/"}})), now),
                 "wrong issuer");
  expect_refused(v.verify(hs_token(claims({{"aud", "drover"}, {"iss", 1}})), now), "wrong issuer");

  // Unconfigured, neither is looked at.
  jwt_verifier open(with_secret());
  expect_ok(open.verify(hs_token(claims({{"aud", "someone-else"}, {"iss", "anyone"}})), now));
}

TEST(JwtVerifier, TheSubjectIsTheUser) {
  jwt_verifier v(with_secret());
  expect_ok(v.verify(hs_token(claims({{"sub", "user-42@example.com"}})), now), "user-42@example.com");
  expect_ok(v.verify(hs_token(claims({{"sub", std::string(256, 'u')}})), now), std::string(256, 'u').c_str());
  auto no_sub = claims();
  no_sub.erase("sub");
  for (const auto& payload : {no_sub, claims({{"sub", ""}}), claims({{"sub", 42}}), claims({{"sub", "al\nice"}}),
                              claims({{"sub", std::string("al\x7f")}}), claims({{"sub", std::string(257, 'u')}})}) {
    expect_refused(v.verify(hs_token(payload), now), "missing or invalid subject");
  }
}

// --- The Authorization header.

TEST(JwtVerifier, BearerHeader) {
  jwt_verifier v(with_secret());
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto token = hs_token(json::object{{"sub", "alice"}, {"exp", t + 60}});
  for (const auto& h : {"Bearer " + token, "bearer " + token, "BEARER\t" + token, "  Bearer   " + token + "  "}) {
    expect_ok(v.verify_bearer(h));
  }
  expect_refused(v.verify_bearer(""), "missing token");
  expect_refused(v.verify_bearer("Bearer "), "expected a Bearer token");
  expect_refused(v.verify_bearer("Bearer"), "expected a Bearer token");
  expect_refused(v.verify_bearer(token), "expected a Bearer token");
  expect_refused(v.verify_bearer("Bearer" + token), "expected a Bearer token");
  expect_refused(v.verify_bearer("Basic " + token), "expected a Bearer token");
  expect_refused(v.verify_bearer("Bearer " + token + " x"), "malformed token");
}

// --- JWKS reload.

TEST(JwtVerifier, JwksFileIsReloadedWhenItChanges) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_check_interval = std::chrono::milliseconds(0);
  s.jwks_file = dir.write("jwks.json", jwks_of({jwk_of(k().rsa1.get(), "old")}));
  set_mtime(s.jwks_file, now);
  jwt_verifier v(s);
  const auto old_token = pk_token(k().rsa1.get(), claims(), "old");
  const auto new_token = pk_token(k().ec2.get(), claims(), "new");
  expect_ok(v.verify(old_token, now));
  expect_refused(v.verify(new_token, now), "unknown key id");

  // Rotation: the old key is gone, the new one works.
  dir.write("jwks.json", jwks_of({jwk_of(k().ec2.get(), "new")}));
  set_mtime(s.jwks_file, now + 10);
  expect_ok(v.verify(new_token, now));
  expect_refused(v.verify(old_token, now), "unknown key id");

  // A broken, an empty or a missing file keeps the keys there were.
  dir.write("jwks.json", "{\"keys\": [");
  set_mtime(s.jwks_file, now + 20);
  expect_ok(v.verify(new_token, now));
  dir.write("jwks.json", R"({"keys":[]})");
  set_mtime(s.jwks_file, now + 30);
  expect_ok(v.verify(new_token, now));
  std::filesystem::remove(s.jwks_file);
  expect_ok(v.verify(new_token, now));

  // And a good file after that is taken again.
  dir.write("jwks.json", jwks_of({jwk_of(k().rsa1.get(), "old")}));
  set_mtime(s.jwks_file, now + 40);
  expect_ok(v.verify(old_token, now));
}

TEST(JwtVerifier, JwksFileIsLookedAtOncePerInterval) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_check_interval = std::chrono::hours(1);
  s.jwks_file = dir.write("jwks.json", jwks_of({jwk_of(k().rsa1.get(), "old")}));
  jwt_verifier v(s);
  dir.write("jwks.json", jwks_of({jwk_of(k().ec2.get(), "new")}));
  set_mtime(s.jwks_file, now + 10);
  expect_ok(v.verify(pk_token(k().rsa1.get(), claims(), "old"), now));
  expect_refused(v.verify(pk_token(k().ec2.get(), claims(), "new"), now), "unknown key id");
}

TEST(JwtVerifier, JwksReloadWhileOtherThreadsVerify) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_check_interval = std::chrono::milliseconds(0);
  s.jwks_file = dir.write("jwks.json", jwks_of({jwk_of(k().ec1.get(), "a"), jwk_of(k().ec2.get(), "b")}));
  jwt_verifier v(s);
  const auto token = pk_token(k().ec1.get(), claims(), "a");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) failures += v.verify(token, now) ? 0 : 1;
    });
  }
  for (int i = 0; i < 20; ++i) {
    // Each version keeps key "a"; write to a new file and rename, as deployment tools do.
    auto tmp = dir.write("jwks.json.tmp", jwks_of({jwk_of(k().ec1.get(), "a"), jwk_of(k().ec2.get(), "b" + std::to_string(i))}));
    std::filesystem::rename(tmp, s.jwks_file);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

// --- Configuration.

TEST(JwtVerifier, ExactlyOneKeySetting) {
  temp_dir dir;
  EXPECT_NE(thrown_by([] { jwt_verifier v(jwt_settings{}); }).find("no JWT key configured"), std::string::npos);
  auto two = with_pem(dir, k().rsa1.get());
  two.hs256_secret = secret;
  EXPECT_NE(thrown_by([&] { jwt_verifier v(two); }).find("set only one of"), std::string::npos);
  jwt_settings short_secret;
  short_secret.hs256_secret = "hunter2";
  auto msg = thrown_by([&] { jwt_verifier v(short_secret); });
  EXPECT_NE(msg.find("AUTH_JWT_SECRET"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
}

TEST(JwtVerifier, UnusableKeyFilesAreRefusedWithoutQuotingThem) {
  temp_dir dir;
  struct {
    std::string pem;
    const char* why;
  } pems[] = {
      {"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n", "no PEM public key"},
      {"just some text", "no PEM public key"},
      {pem_of(k().rsa_weak.get()), "shorter than 2048 bits"},
      {pem_of(k().ec384.get()), "not on curve P-256"},
  };
  for (const auto& p : pems) {
    jwt_settings s;
    s.public_key_file = dir.write("key.pem", p.pem);
    auto msg = thrown_by([&] { jwt_verifier v(s); });
    EXPECT_NE(msg.find("AUTH_JWT_PUBLIC_KEY_FILE"), std::string::npos) << msg;
    EXPECT_NE(msg.find(p.why), std::string::npos) << msg;
    EXPECT_EQ(msg.find("-----"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("bm90"), std::string::npos) << msg;
  }
  jwt_settings missing;
  missing.public_key_file = (dir.path / "absent.pem").string();
  EXPECT_NE(thrown_by([&] { jwt_verifier v(missing); }).find("AUTH_JWT_PUBLIC_KEY_FILE"), std::string::npos);

  // A JWKS whose every key is unusable: wrong alg, encryption use, another curve, no kid.
  auto wrong_alg = jwk_of(k().rsa1.get(), "a");
  wrong_alg["alg"] = "ES256";
  auto for_encryption = jwk_of(k().rsa1.get(), "b");
  for_encryption["use"] = "enc";
  auto p384 = jwk_of(k().ec1.get(), "c");
  p384["crv"] = "P-384";
  auto off_curve = jwk_of(k().ec1.get(), "d");
  off_curve["y"] = jwk_of(k().ec2.get(), "d").at("y");
  auto no_kid = jwk_of(k().rsa1.get(), "e");
  no_kid.erase("kid");
  auto weak = jwk_of(k().rsa_weak.get(), "f");
  auto exponent_one = jwk_of(k().rsa1.get(), "h");
  exponent_one["e"] = "AQ";
  jwt_settings s;
  s.jwks_file = dir.write("jwks.json", jwks_of({wrong_alg, for_encryption, p384, off_curve, no_kid, weak,
                                                json::object{{"kid", "g"}, {"kty", "oct"}, {"k", "c2VjcmV0"}}, exponent_one}));
  auto msg = thrown_by([&] { jwt_verifier v(s); });
  EXPECT_NE(msg.find("AUTH_JWKS_FILE"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no usable"), std::string::npos) << msg;
  s.jwks_file = dir.write("jwks.json", "[]");
  EXPECT_NE(thrown_by([&] { jwt_verifier v(s); }).find("AUTH_JWKS_FILE"), std::string::npos);

  // The usable keys of a mixed set still load, a matching `alg` is fine, and of two keys
  // with one kid the first is kept.
  auto good = jwk_of(k().ec1.get(), "good");
  good["alg"] = "ES256";
  s.jwks_file = dir.write("jwks.json", jwks_of({wrong_alg, good, jwk_of(k().ec2.get(), "good")}));
  jwt_verifier mixed(s);
  expect_ok(mixed.verify(pk_token(k().ec1.get(), claims(), "good"), now));
  expect_refused(mixed.verify(pk_token(k().ec2.get(), claims(), "good"), now), "bad signature");
}

TEST(JwtSettings, FromEnvironment) {
  ::setenv("AUTH_JWT_SECRET", secret.c_str(), 1);
  ::setenv("AUTH_JWT_ISSUER", "iss", 1);
  ::setenv("AUTH_JWT_AUDIENCE", "aud", 1);
  ::setenv("AUTH_JWT_LEEWAY_S", "45", 1);
  auto s = jwt_settings::from_env();
  EXPECT_EQ(s.hs256_secret, secret);
  EXPECT_EQ(s.issuer, "iss");
  EXPECT_EQ(s.audience, "aud");
  EXPECT_EQ(s.leeway, std::chrono::seconds(45));
  EXPECT_TRUE(s.public_key_file.empty());
  for (const char* bad : {"abc", "-1", "1.5", "86401", "30s"}) {
    ::setenv("AUTH_JWT_LEEWAY_S", bad, 1);
    EXPECT_THROW(jwt_settings::from_env(), std::invalid_argument) << bad;
  }
  ::unsetenv("AUTH_JWT_LEEWAY_S");
  EXPECT_EQ(jwt_settings::from_env().leeway, std::chrono::seconds(30));
  for (const char* name : {"AUTH_JWT_SECRET", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE"}) ::unsetenv(name);
}
