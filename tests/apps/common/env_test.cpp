// env_test.cpp - the apps' settings readers (env.hpp): yes/no settings and AUTH_MODE.
#include <drover_app/env.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace drover::app {
namespace {

TEST(env_bool, reads_the_documented_spellings) {
  for (const char* yes : {"yes", "true", "1", "on"}) EXPECT_TRUE(env_bool("DEAD_LETTERS", yes)) << yes;
  for (const char* no : {"no", "false", "0", "off"}) EXPECT_FALSE(env_bool("DEAD_LETTERS", no)) << no;
}

// An operator review: DEAD_LETTERS=no left dead letters on; an unknown spelling is refused.
TEST(env_bool, refuses_anything_else_naming_the_setting) {
  for (const char* bad : {"nope", "disabled", "OFFF", " no", "2"}) {
    try {
      env_bool("DEAD_LETTERS", bad);
      ADD_FAILURE() << bad << ": accepted";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_NE(std::string(e.what()).find("DEAD_LETTERS must be yes or no"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

// The Workers app accepted AUTH_MODE=bogus while the API refused it: both read it here.
TEST(development_auth_mode, reads_jwt_and_none_and_refuses_the_rest) {
  ::unsetenv("AUTH_MODE");
  EXPECT_FALSE(development_auth_mode());
  ::setenv("AUTH_MODE", "jwt", 1);
  EXPECT_FALSE(development_auth_mode());
  ::setenv("AUTH_MODE", "none", 1);
  EXPECT_TRUE(development_auth_mode());
  ::setenv("AUTH_MODE", "bogus", 1);
  try {
    development_auth_mode();
    ADD_FAILURE() << "accepted";
  } catch (const error& e) {
    EXPECT_STREQ(e.what(), "AUTH_MODE must be jwt or none (got 'bogus')");
  }
  ::unsetenv("AUTH_MODE");
}

}  // namespace
}  // namespace drover::app
