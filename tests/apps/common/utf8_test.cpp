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

// A receiver's 300 bytes of "€" cut at 200 ended inside a character, and the attempt's
// log line was no JSON its reader could parse.
TEST(utf8, bytes_that_start_no_character_become_the_replacement_character) {
  const std::string euros = "\xe2\x82\xac\xe2\x82\xac";
  EXPECT_EQ(valid_utf8(euros), euros);
  EXPECT_EQ(valid_utf8(euros.substr(0, 4)), "\xe2\x82\xac\xEF\xBF\xBD");
  EXPECT_EQ(valid_utf8("a\xffz"), "a\xEF\xBF\xBDz");
  EXPECT_TRUE(is_utf8(valid_utf8("\xc3\x28\xa0\xa1\xed\xa0\x80")));
}

}  // namespace
}  // namespace drover::app
