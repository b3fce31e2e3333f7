// redact_test.cpp - secrets masked in URLs and in any text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <drover_app/logging/redact.hpp>

using drover::app::redact_url;

TEST(RedactUrl, MasksThePassword) {
  EXPECT_EQ(redact_url("redis://:s3cret@redis:6379/0"), "redis://:***@redis:6379/0");
  EXPECT_EQ(redact_url("postgres://app:p%40ss@db.local:5432/drover"), "postgres://app:***@db.local:5432/drover");
  EXPECT_EQ(redact_url("redis://user@host:6379"), "redis://user@host:6379");
  EXPECT_EQ(redact_url("sqlite://var/drover.db"), "sqlite://var/drover.db");
  EXPECT_EQ(redact_url("not a url"), "not a url");
}

TEST(RedactUrl, MasksSecretQueryParameters) {
  EXPECT_EQ(redact_url("https://h/x?token=abc&page=2&api_key=zz"), "https://h/x?token=***&page=2&api_key=***");
  EXPECT_EQ(redact_url("https://h/x?password=&q=1"), "https://h/x?password=&q=1");
}

// The database URLs the apps log (DATABASE_URL): libpq's forms.
TEST(RedactUrl, MasksDatabaseUrls) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db"},
      {"postgres://u@h/db", "postgres://u@h/db"},
      {"postgres://h/db", "postgres://h/db"},
      {"postgres://u:p%40ss@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"},
      {"postgres://u:s@cret@h/db", "postgres://u:***@h/db"},  // an unescaped @ in the password
      {"postgres://h/db?user=u&password=secret&x=1", "postgres://h/db?user=u&password=***&x=1"},
      {"postgres://h/db?email=a@b", "postgres://h/db?email=a@b"},  // @ past the authority
      {"sqlite:///var/drover.db", "sqlite:///var/drover.db"},
      {"var/drover.db", "var/drover.db"},
      // Mistyped: the password is masked all the same.
      {"postgres//u:secret@h/db", "postgres//u:***@h/db"},
      {"postgres:/u:secret@h/db", "postgres:/u:***@h/db"},
      {"u:secret@h/db", "u:***@h/db"},
      {"/data/a@b.db", "/data/a@b.db"},
      // A password's unescaped '/', '?' or '#' ends the authority early: still masked.
      {"redis://:ab#cd@host:6379", "redis://:***@host:6379"},
      {"redis://:ab/cd@host:6379", "redis://:***@host:6379"},
      {"redis://u:a?b@host", "redis://u:***@host"},
      {"u:pa/ss@h", "u:***@h"},
      {"postgres//u:pa/ss@h/db", "postgres//u:***@h/db"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(redact_url(in), out) << in;
}

TEST(ScrubSecrets, MasksEveryRegisteredValue) {
  drover::app::add_secret("abc");  // too short to mask
  drover::app::add_secret("topsecret");
  drover::app::add_secret("topsecret-longer");
  EXPECT_EQ(drover::app::scrub_secrets("x topsecret-longer y topsecret abc"), "x *** y *** abc");
}

TEST(RedactUrl, MasksSentinelUrls) {
  EXPECT_EQ(redact_url("redis+sentinel://:pw12@s1:26379,s2:26379/mymaster?sentinel_password=sp12"),
            "redis+sentinel://:***@s1:26379,s2:26379/mymaster?sentinel_password=***");
}

TEST(ScrubSecrets, RegistersTheSentinelPasswords) {
  ::setenv("REDIS_URL", "redis+sentinel://s1/m?sentinel_password=from-url-1&tls_ca=/ca.pem", 1);
  ::setenv("REDIS_SENTINEL_PASSWORD", "from-env-22", 1);
  drover::app::add_secrets_from_env();
  ::unsetenv("REDIS_URL");
  ::unsetenv("REDIS_SENTINEL_PASSWORD");
  EXPECT_EQ(drover::app::scrub_secrets("a from-url-1 b from-env-22"), "a *** b ***");
}

// A diff review: with an '@' in a query value the URL's password was read as reaching into
// the query, and the password itself was not registered.
TEST(ScrubSecrets, RegistersTheUrlPasswordBeforeAQueryHoldingAnAt) {
  ::setenv("DATABASE_URL", "postgres://app:pw-in-url-66@db/drover?application_name=me@host", 1);
  ::setenv("DASHBOARD_TOKEN", " token-with-space-77\n", 1);
  drover::app::add_secrets_from_env();
  ::unsetenv("DATABASE_URL");
  ::unsetenv("DASHBOARD_TOKEN");
  EXPECT_EQ(drover::app::scrub_secrets("a pw-in-url-66 b token-with-space-77 c"), "a *** b *** c");
}

TEST(ScrubSecrets, RegistersTheSigningKeysAndTokens) {
  ::setenv("AUTH_JWT_SECRET", "jwt-secret-33", 1);
  ::setenv("METRICS_TOKEN", "metrics-token-44", 1);
  ::setenv("USER_WEBHOOK_SECRET", "user-hooks-55", 1);
  ::setenv("WEBHOOK_SECRET_PREVIOUS", "retired-hooks-88", 1);  // a rotation's: still a key
  drover::app::add_secrets_from_env();
  ::unsetenv("AUTH_JWT_SECRET");
  ::unsetenv("METRICS_TOKEN");
  ::unsetenv("USER_WEBHOOK_SECRET");
  ::unsetenv("WEBHOOK_SECRET_PREVIOUS");
  EXPECT_EQ(drover::app::scrub_secrets("a jwt-secret-33 b metrics-token-44 c user-hooks-55 d retired-hooks-88"),
            "a *** b *** c *** d ***");
}
