// utf8_test.cpp - drover_app/utf8.hpp: what counts as UTF-8, and cutting on a character.
#include <drover_app/utf8.hpp>

#include <gtest/gtest.h>

namespace drover::app {
namespace {

TEST(utf8, accepts_text_and_refuses_stray_overlong_and_surrogate_bytes) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_utf8("\xff.txt"));
  EXPECT_FALSE(is_utf8("\xc3"));              // cut short
  EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

TEST(utf8, a_prefix_ends_on_a_characters_end) {
  EXPECT_EQ(utf8_prefix("\xc3\xa9\xc3\xa9\xc3\xa9", 5), "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
  EXPECT_EQ(utf8_prefix("ab\xff", 10), "ab");
}

TEST(utf8, nul_becomes_the_replacement_character) {
  using namespace std::string_literals;
  EXPECT_EQ(without_nul("a\0b\0"s),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(without_nul("\xc3\xa9"), "\xc3\xa9");
}

}  // namespace
}  // namespace drover::app
