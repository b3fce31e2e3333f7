// base64url_test.cpp - strict unpadded base64url decoding.
#include <gtest/gtest.h>

#include "api/auth/base64url.hpp"

using drover::api::auth::base64url_decode;

TEST(Base64url, DecodesCanonicalInput) {
  struct {
    const char* in;
    std::string out;
  } cases[] = {
      {"", ""},
      {"Zg", "f"},
      {"Zm8", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg", "foob"},
      {"-_-_", std::string("\xfb\xff\xbf", 3)},  // the two characters that differ from base64
      {"AAA", std::string(2, '\0')},
  };
  for (const auto& c : cases) {
    auto got = base64url_decode(c.in);
    ASSERT_TRUE(got) << c.in;
    EXPECT_EQ(*got, c.out) << c.in;
  }
}

TEST(Base64url, RefusesWhatIsNotCanonicalBase64url) {
  for (const char* in : {"Zg==", "Zm9v=", "Zm+v", "Zm/v", "Zm9 v", "Z", "Zm9vY", "Zh", "Zm9", "Zm\n9v", "é"}) {
    EXPECT_FALSE(base64url_decode(in)) << in;
  }
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
}
