// base64_test.cpp - base64 encoding, and decoding of both alphabets: standard with optional
// padding, and strict unpadded base64url.
#include <drover_app/base64.hpp>

#include <gtest/gtest.h>

using drover::app::base64_decode;
using drover::app::base64_encode;
using drover::app::base64url_decode;

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

TEST(Base64, EncodesWithPadding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("bob:pw"), "Ym9iOnB3");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
}

TEST(Base64, DecodesStandardWithOrWithoutPadding) {
  EXPECT_EQ(base64_decode("Ym9iOnB3").value(), "bob:pw");
  EXPECT_EQ(base64_decode("YQ==").value(), "a");
  EXPECT_EQ(base64_decode("YQ").value(), "a");
  EXPECT_EQ(base64_decode("+/+/").value(), std::string("\xfb\xff\xbf", 3));
  for (const char* in : {"Y", "Y*Y=", "YQ=", "Y===", "=YQ=", "YQ==YQ==", "-_-_", "YQ ==", " YQ==", "Ym9i\nOnB3"}) {
    EXPECT_FALSE(base64_decode(in)) << in;
  }
}
