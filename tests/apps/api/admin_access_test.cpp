// admin_access_test.cpp - dashboard credentials, roles and the cross-site guard.
#include <gtest/gtest.h>

#include <stdexcept>

#include "api/admin_access.hpp"

using drover::api::action_request;
using drover::api::admin_access;
using drover::api::admin_role;
using drover::api::claimed_login;
using drover::api::constant_time_equal;
using drover::api::cross_site_refusal;

namespace {

// "Basic " + base64("user:password"), written out so that the test does not trust the decoder.
constexpr const char* alice_ok = "Basic YWxpY2U6czNjcjp0";   // alice:s3cr:t
constexpr const char* bob_ok = "Basic Ym9iOnB3";             // bob:pw
constexpr const char* alice_bad = "Basic YWxpY2U6d3Jvbmc=";  // alice:wrong

action_request same_site_post() {
  action_request r;
  r.method = "POST";
  r.host = "127.0.0.1:5000";
  r.origin = "http://127.0.0.1:5000";
  r.sec_fetch_site = "same-origin";
  r.content_type = "application/json";
  r.action_header = "1";
  return r;
}

}  // namespace

TEST(AdminAccess, NothingConfiguredLetsNobodyIn) {
  admin_access a("", "");
  EXPECT_FALSE(a.configured());
  EXPECT_FALSE(a.authenticate("Bearer "));
  EXPECT_FALSE(a.authenticate(""));
  EXPECT_FALSE(a.authenticate("Basic Og=="));  // ":" - empty user and password
}

TEST(AdminAccess, BearerTokenIsAdmin) {
  admin_access a("tok-123", "");
  ASSERT_TRUE(a.configured());
  auto who = a.authenticate("Bearer tok-123");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->role, admin_role::admin);
  EXPECT_TRUE(a.authenticate("bearer   tok-123 "));  // scheme is case-insensitive
  EXPECT_FALSE(a.authenticate("Bearer tok-12"));
  EXPECT_FALSE(a.authenticate("Bearer tok-1234"));
  EXPECT_FALSE(a.authenticate("tok-123"));
  EXPECT_FALSE(a.authenticate("Basic dG9rLTEyMw=="));  // the token as a basic password is not the token
}

TEST(AdminAccess, UsersWithRoles) {
  admin_access a("", " alice:s3cr:t:admin , bob:pw:viewer,");
  ASSERT_TRUE(a.has_users());
  EXPECT_FALSE(a.has_token());
  auto alice = a.authenticate(alice_ok);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->role, admin_role::admin);  // a password may hold ':'
  auto bob = a.authenticate(bob_ok);
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->role, admin_role::viewer);
  EXPECT_FALSE(a.authenticate(alice_bad));
  EXPECT_FALSE(a.authenticate("Basic !!!"));
  EXPECT_FALSE(a.authenticate("Bearer pw"));  // no token configured
}

TEST(AdminAccess, MalformedUsersAreRefusedWithoutThePassword) {
  EXPECT_THROW(admin_access("", "alice"), std::invalid_argument);
  EXPECT_THROW(admin_access("", "alice:pw"), std::invalid_argument);
  EXPECT_THROW(admin_access("", ":pw:admin"), std::invalid_argument);
  EXPECT_THROW(admin_access("", "alice::admin"), std::invalid_argument);
  try {
    admin_access("", "alice:hunter2:root");
    FAIL() << "a bad role must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alice"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
  }
  // A security review: a ',' in a password ends the entry, and the refusal quoted what
  // stood where the role should be, a piece of the password.
  try {
    admin_access("", "root:Tr0ub4dor:Horse,Battery9!:admin");
    FAIL() << "a password cut at its ',' must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("Horse"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("which a password cannot contain"), std::string::npos) << e.what();
  }
}

// One name twice signed in with either password, each with its own role.
TEST(AdminAccess, AUserNamedTwiceIsRefused) {
  try {
    admin_access("", "ops:first-password-1:admin,ops:second-password:viewer");
    FAIL() << "a name given twice must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'ops' again"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("password-1"), std::string::npos);
  }
}

TEST(AdminAccess, WeakCredentialsAreNamedWithoutTheirSecret) {
  EXPECT_EQ(admin_access("", "").weakness(32, 12), "");
  EXPECT_EQ(admin_access("token-0123456789abcdefghijklmnop", "olga:twelve-chars:admin").weakness(32, 12), "");
  // Long enough, but one character over and over.
  EXPECT_NE(admin_access(std::string(32, 't'), "").weakness(32, 12).find("only 1 different"), std::string::npos);
  EXPECT_NE(admin_access("", "olga:aaaaaaaaaaaaaaaa:admin").weakness(32, 12).find("too uniform"), std::string::npos);
  auto token = admin_access("short-token", "").weakness(32, 12);
  EXPECT_NE(token.find("DASHBOARD_TOKEN is too short: at least 32"), std::string::npos) << token;
  EXPECT_EQ(token.find("short-token"), std::string::npos) << token;
  auto user = admin_access("", "olga:twelve-chars:admin,admin:admin:viewer").weakness(32, 12);
  EXPECT_NE(user.find("the password of 'admin' is too short or too uniform: at least 12"), std::string::npos) << user;
  EXPECT_EQ(user.find("admin:admin"), std::string::npos) << user;
}

TEST(AdminAccess, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(AdminAccess, ClaimedLoginNamesWhoTriedRightOrWrong) {
  struct row {
    const char* header;
    const char* expected;
  };
  const row rows[] = {
      {alice_ok, "alice"},
      {alice_bad, "alice"},
      {bob_ok, "bob"},
      // One token for every operator: a name anyone could keep blocked. Per address only.
      {"Bearer anything", ""},
      {"bearer anything", ""},
      {"", ""},
      {"Basic !!!", ""},
      {"Basic Ym9i", ""},  // "bob", no colon
      {"Digest x", ""},
  };
  for (const auto& r : rows) EXPECT_EQ(claimed_login(r.header), r.expected) << r.header;
  // base64("<100 x>:pw"): a long name is cut to 64 bytes.
  std::string name(100, 'x');
  std::string raw = name + ":pw";
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size()) v |= static_cast<unsigned char>(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) v |= static_cast<unsigned char>(raw[i + 2]);
    b64 += alphabet[(v >> 18) & 63];
    b64 += alphabet[(v >> 12) & 63];
    b64 += i + 1 < raw.size() ? alphabet[(v >> 6) & 63] : '=';
    b64 += i + 2 < raw.size() ? alphabet[v & 63] : '=';
  }
  EXPECT_EQ(claimed_login("Basic " + b64), std::string(64, 'x'));
}

TEST(CrossSiteGuard, SameSiteActionPasses) {
  EXPECT_EQ(cross_site_refusal(same_site_post()), "");
  auto r = same_site_post();
  r.origin = "";
  r.sec_fetch_site = "";  // curl and other non-browser clients send neither
  EXPECT_EQ(cross_site_refusal(r), "");
  r.method = "DELETE";
  r.content_type = "";
  EXPECT_EQ(cross_site_refusal(r), "");  // the custom header alone is enough
}

TEST(CrossSiteGuard, RefusesWhatAnotherSiteCanSend) {
  auto r = same_site_post();
  r.sec_fetch_site = "cross-site";
  EXPECT_NE(cross_site_refusal(r), "");
  r = same_site_post();
  r.sec_fetch_site = "same-site";  // a sibling subdomain is another origin
  EXPECT_NE(cross_site_refusal(r), "");
  r = same_site_post();
  r.origin = "http://evil.example";
  EXPECT_NE(cross_site_refusal(r), "");
  r.origin = "null";
  EXPECT_NE(cross_site_refusal(r), "");
  // A plain form post: no custom header, no JSON type.
  r = same_site_post();
  r.action_header = "";
  r.content_type = "application/x-www-form-urlencoded";
  EXPECT_NE(cross_site_refusal(r), "");
  r = same_site_post();
  r.method = "GET";
  EXPECT_NE(cross_site_refusal(r), "");
}
