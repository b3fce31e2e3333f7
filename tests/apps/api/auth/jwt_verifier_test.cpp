// jwt_verifier_test.cpp - bearer tokens: keys, algorithms, signatures, claims, the Authorization header.
#include <openssl/x509.h>

#include <cstdlib>

#include "jwt_test_tokens.hpp"

using namespace jwt_test;

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

TEST(JwtVerifier, AcceptsTheTypValuesOfJwtAndAccessTokens) {
  jwt_verifier v(with_secret());
  for (const char* typ : {"JWT", "jwt", "application/jwt", "at+jwt", "application/at+JWT"}) {
    auto t = token_of(json::serialize(json::object{{"alg", "HS256"}, {"typ", typ}}), json::serialize(claims()),
                      [](std::string_view in) { return hs256(secret, in); });
    expect_ok(v.verify(t, now));
  }
  auto no_typ =
      token_of(R"({"alg":"HS256"})", json::serialize(claims()), [](std::string_view in) { return hs256(secret, in); });
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

TEST(JwtVerifier, RefusesKeysCarriedByTheToken) {
  temp_dir dir;
  jwt_verifier rs(with_pem(dir, k().rsa1.get()));
  json::object header{{"alg", "RS256"}, {"jwk", jwk_of(k().rsa2.get(), "attacker")}, {"jku", "https://evil.example/"}};
  auto t = token_of(json::serialize(header), json::serialize(claims()),
                    [&](std::string_view in) { return sign_with(k().rsa2.get(), in); });
  expect_refused(rs.verify(t, now), "keys embedded in or linked from the header are refused");
  // The review's case: signed with the configured key, the embedded one would be ignored;
  // it is refused all the same, as docs/security.md says.
  json::object real{{"alg", "RS256"}, {"jwk", jwk_of(k().rsa1.get(), "mine")}};
  auto signed_right = token_of(json::serialize(real), json::serialize(claims()),
                               [&](std::string_view in) { return sign_with(k().rsa1.get(), in); });
  expect_refused(rs.verify(signed_right, now), "keys embedded in or linked from the header are refused");
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

// docs/security.md: a header that carries a key (jwk, x5c) or points to one (jku, x5u) is
// refused even when the token is signed with the configured key.
TEST(JwtVerifier, RefusesHeadersThatEmbedOrLinkAKey) {
  jwt_verifier v(with_secret());
  auto hs = [](std::string_view in) { return hs256(secret, in); };
  const auto payload = json::serialize(claims());
  for (const char* header :
       {R"({"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}})",
        R"({"alg":"HS256","jku":"https://attacker.example/jwks.json"})",
        R"({"alg":"HS256","x5u":"https://attacker.example/cert.pem"})", R"({"alg":"HS256","x5c":["MIIB"]})"}) {
    SCOPED_TRACE(header);
    expect_refused(v.verify(token_of(header, payload, hs), now),
                   "keys embedded in or linked from the header are refused");
  }
  expect_ok(v.verify(token_of(R"({"alg":"HS256","typ":"JWT"})", payload, hs), now));
}

TEST(JwtVerifier, RefusesMalformedTokens) {
  jwt_verifier v(with_secret());
  auto good = hs_token(claims());
  auto hs = [](std::string_view in) { return hs256(secret, in); };
  auto last_dot = good.rfind('.');
  const std::string cases[] = {
      good.substr(0, last_dot),                                       // two parts
      good + ".e30",                                                  // four parts
      "..",                                                           // three empty parts
      "!!." + good.substr(good.find('.') + 1),                        // header not base64url
      good.substr(0, last_dot) + ".a+b/",                             // signature in plain base64
      good.substr(0, last_dot) + ".abc=",                             // padded signature
      token_of("[1,2]", json::serialize(claims()), hs),               // header not an object
      token_of("{\"alg\":\"HS256\"", json::serialize(claims()), hs),  // header not JSON
      token_of(R"({"alg":"HS256"})", "\"alice\"", hs),                // signed, but the payload is not an object
      token_of(R"({"alg":"HS256"})", "{\"sub\":", hs),                // signed, but the payload is not JSON
  };
  for (const auto& t : cases) expect_refused(v.verify(t, now), "malformed token");
  expect_refused(v.verify("", now), "missing token");
  expect_refused(v.verify(std::string(jwt_verifier::max_token_bytes + 1, 'a'), now), "token longer than 8192 bytes");
  // A good token padded past the cap is refused before any decoding.
  auto huge = hs_token(claims({{"pad", std::string(jwt_verifier::max_token_bytes, 'x')}}));
  expect_refused(v.verify(huge, now), "token longer than 8192 bytes");
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
  const auto t =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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
  for (const auto& payload : {no_sub, claims({{"sub", ""}}), claims({{"sub", 42}})}) {
    expect_refused(v.verify(hs_token(payload), now), "missing or invalid subject");
  }
  // C1's NEL and a right-to-left override (the security review's "a\u0085b", "a\u202eb")
  // are as invisible in a log line or the dashboard as a C0 control.
  for (const auto& payload :
       {claims({{"sub", "al\nice"}}), claims({{"sub", std::string("al\x7f")}}), claims({{"sub", "a\u0085b"}}),
        claims({{"sub", "a\u202eb"}}), claims({{"sub", "a\u200bb"}}),
        // Default-ignorable ones a review passed as another user who shows as "alice".
        claims({{"sub", "alice\u180e"}}), claims({{"sub", "a\u034fb"}}), claims({{"sub", "a\u3164"}}),
        claims({{"sub", "a\u115fb"}}), claims({{"sub", "alice\ufe0f"}}), claims({{"sub", "a\U0001D173"}}),
        claims({{"sub", "a\U000E0100"}})}) {
    expect_refused(v.verify(hs_token(payload), now), "subject with a control or invisible character");
  }
  expect_ok(v.verify(hs_token(claims({{"sub", "jos\u00e9-\u5c71\u7530"}})), now), "jos\u00e9-\u5c71\u7530");
  // A zero-width joiner is part of an emoji sequence (a family, "\U0001F468\u200D\U0001F469"),
  // and a variation selector of an emoji or an ideograph's variant (a diff review: "bob❤️",
  // a rainbow flag and 葛 with U+E0100 were refused).
  for (const char* sub :
       {"\U0001F468\u200D\U0001F469", "bob\u2764\uFE0F", "\U0001F3F3\uFE0F\u200D\U0001F308", "\u845B\U000E0100"}) {
    expect_ok(v.verify(hs_token(claims({{"sub", sub}})), now), sub);
  }
  expect_refused(v.verify(hs_token(claims({{"sub", std::string(257, 'u')}})), now), "subject longer than 256 bytes");
}

// --- The Authorization header.

TEST(JwtVerifier, BearerHeader) {
  jwt_verifier v(with_secret());
  const auto t =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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
