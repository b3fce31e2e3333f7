// jwks_file_test.cpp - JWKS keys chosen by kid, reloaded when the file changes, skipped when unusable.
#include <atomic>
#include <thread>

#include "jwt_test_tokens.hpp"

using namespace jwt_test;

TEST(JwksFile, PicksTheKeyByKid) {
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

// --- JWKS reload.

TEST(JwksFile, FileIsReloadedWhenItChanges) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_check_interval = std::chrono::milliseconds(0);
  s.jwks_file = write_version(dir, "jwks.json", jwks_of({jwk_of(k().rsa1.get(), "old")}), now);
  jwt_verifier v(s);
  const auto old_token = pk_token(k().rsa1.get(), claims(), "old");
  const auto new_token = pk_token(k().ec2.get(), claims(), "new");
  expect_ok(v.verify(old_token, now));
  expect_refused(v.verify(new_token, now), "unknown key id");

  // Rotation: the old key is gone, the new one works.
  write_version(dir, "jwks.json", jwks_of({jwk_of(k().ec2.get(), "new")}), now + 10);
  expect_ok(v.verify(new_token, now));
  expect_refused(v.verify(old_token, now), "unknown key id");

  // A broken or a missing file keeps the keys there were (a half-written file, a rename
  // in progress).
  write_version(dir, "jwks.json", "{\"keys\": [", now + 20);
  expect_ok(v.verify(new_token, now));
  std::filesystem::remove(s.jwks_file);
  expect_ok(v.verify(new_token, now));
  // An empty key list revokes every key: an operator's emergency revocation (it kept them
  // all, silently, in a security review).
  write_version(dir, "jwks.json", R"({"keys":[]})", now + 30);
  expect_refused(v.verify(new_token, now), "unknown key id");

  // And a good file after that is taken again.
  write_version(dir, "jwks.json", jwks_of({jwk_of(k().rsa1.get(), "old")}), now + 40);
  expect_ok(v.verify(old_token, now));
}

TEST(JwksFile, FileIsLookedAtOncePerInterval) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_check_interval = std::chrono::hours(1);
  s.jwks_file = dir.write("jwks.json", jwks_of({jwk_of(k().rsa1.get(), "old")}));
  jwt_verifier v(s);
  write_version(dir, "jwks.json", jwks_of({jwk_of(k().ec2.get(), "new")}), now + 10);
  expect_ok(v.verify(pk_token(k().rsa1.get(), claims(), "old"), now));
  expect_refused(v.verify(pk_token(k().ec2.get(), claims(), "new"), now), "unknown key id");
}

TEST(JwksFile, ReloadWhileOtherThreadsVerify) {
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
    auto tmp = dir.write("jwks.json.tmp",
                         jwks_of({jwk_of(k().ec1.get(), "a"), jwk_of(k().ec2.get(), "b" + std::to_string(i))}));
    std::filesystem::rename(tmp, s.jwks_file);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

// A new version whose keys cannot be used still says which key ids are valid: an operator
// retiring one key with a typo in the key that stays kept the retired key working.
TEST(JwksFile, AKeyTheFileNoLongerNamesIsRevokedEvenWhenNoneOfItsKeysCanBeUsed) {
  temp_dir dir;
  jwt_settings s;
  s.jwks_check_interval = std::chrono::milliseconds(0);
  s.jwks_file =
      write_version(dir, "jwks.json", jwks_of({jwk_of(k().rsa1.get(), "k1"), jwk_of(k().ec1.get(), "k2")}), now);
  jwt_verifier v(s);
  const auto t1 = pk_token(k().rsa1.get(), claims(), "k1");
  const auto t2 = pk_token(k().ec1.get(), claims(), "k2");
  expect_ok(v.verify(t1, now));

  // k1 retired; k2 mistyped: k1 is refused, k2's previous version stays.
  auto mistyped = jwk_of(k().ec1.get(), "k2");
  mistyped["crv"] = "P256";
  write_version(dir, "jwks.json", jwks_of({mistyped}), now + 10);
  expect_refused(v.verify(t1, now), "unknown key id");
  expect_ok(v.verify(t2, now));

  // A version naming none of the previous keys, usable or not, revokes them all.
  auto other = jwk_of(k().rsa1.get(), "k3");
  other["kty"] = "oct";
  write_version(dir, "jwks.json", jwks_of({other}), now + 20);
  expect_refused(v.verify(t2, now), "unknown key id");
}

// --- Keys that cannot be used.

TEST(JwksFile, KeysThatCannotBeUsedAreSkipped) {
  temp_dir dir;
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
  s.jwks_file =
      dir.write("jwks.json", jwks_of({wrong_alg, for_encryption, p384, off_curve, no_kid, weak,
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
