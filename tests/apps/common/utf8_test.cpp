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

// A joiner or variation selector shows only after a visible character beyond ASCII, and
// the character it follows is the last that is neither, shown or not.
TEST(utf8, joiners_show_only_after_a_visible_character_beyond_ascii) {
  const auto shown = [](std::u32string_view text) {
    shown_code_points seen;
    std::u32string out;
    for (char32_t c : text)
      if (seen.shows(c)) out += c;
    return out;
  };
  EXPECT_EQ(shown(U"bob\u2764\uFE0F"), U"bob\u2764\uFE0F");
  EXPECT_EQ(shown(U"alice\uFE0F"), U"alice");
  EXPECT_EQ(shown(U"\u200Dx"), U"x") << "at the start";
  EXPECT_EQ(shown(U"\u00E9\u202E\u200Dx"), U"\u00E9x") << "after a hidden override";
  EXPECT_EQ(shown(U"\U0001F3F3\uFE0F\u200D\U0001F308"), U"\U0001F3F3\uFE0F\u200D\U0001F308") << "a rainbow flag";
  EXPECT_EQ(shown(U"a\u180Eb"), U"ab");
  shown_code_points seen;
  EXPECT_TRUE(seen.shows(U'\u00E9'));
  seen.restart();
  EXPECT_FALSE(seen.shows(U'\u200D')) << "after a byte that is no code point";
}

}  // namespace
}  // namespace drover::app
