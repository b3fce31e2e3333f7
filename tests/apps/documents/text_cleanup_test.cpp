// text_cleanup_test.cpp - the whitespace and UTF-8 rules of the extractors.
#include "documents/text_cleanup.hpp"

#include <gtest/gtest.h>

namespace drover::documents {
namespace {

TEST(text_cleanup, inline_collapses_every_kind_of_whitespace) {
  EXPECT_EQ(clean_inline("  A\n\ttitle \r\n here\f "), "A title here");
  EXPECT_EQ(clean_inline(""), "");
}

TEST(text_cleanup, block_keeps_paragraphs_and_lines) {
  EXPECT_EQ(clean_block("  one  two \r\nthree\r\n\r\n\n\nfour\f five\n"), "one two\nthree\n\nfour five");
  EXPECT_EQ(clean_block("\n\n  \n"), "");
  EXPECT_EQ(clean_block(std::string("a\0b", 3)), "a b");
}

TEST(text_cleanup, preformatted_keeps_each_lines_spaces) {
  EXPECT_EQ(clean_preformatted("\n  \ndef f(x):\r\n    return  x \n\n\n\tdone\f here  \n\n"),
            "def f(x):\n    return  x\n\n\tdone  here");
  EXPECT_EQ(clean_preformatted("   \n\t\n"), "");
  EXPECT_EQ(clean_preformatted("  indented first"), "  indented first");
}

// Issue 13 (fuzzing): the HTML extractor passed invalid UTF-8 through to titles and text,
// and plain text let surrogates, overlong forms and code points past U+10FFFF through.
TEST(text_cleanup, issue13_invalid_utf8_becomes_the_replacement_character) {
  const std::string r = "\xEF\xBF\xBD";
  const struct {
    const char* what;
    std::string in, out;
  } cases[] = {
      {"ascii", "plain", "plain"},
      {"two, three and four bytes", "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
      {"edges of the ranges", "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF",
       "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF"},
      {"stray byte", "caf\xFF!", "caf" + r + "!"},
      {"lone continuation",
       "a\x80"
       "b",
       "a" + r + "b"},
      {"truncated at the end", "a\xE2\x82", "a" + r + r},
      {"truncated before ascii", "\xE2\x82x", r + r + "x"},
      {"overlong two bytes", "\xC0\x80", r + r},
      {"overlong three bytes", "\xE0\x80\xAF", r + r + r},
      {"overlong four bytes", "\xF0\x8F\xBF\xBF", r + r + r + r},
      {"surrogate", "\xED\xA0\x80", r + r + r},
      {"past U+10FFFF", "\xF4\x90\x80\x80", r + r + r + r},
      {"F5 lead", "\xF5\x80\x80\x80", r + r + r + r},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(valid_utf8(c.in), c.out) << c.what;
    EXPECT_EQ(clean_inline(c.in), c.out) << c.what;
    EXPECT_EQ(clean_block(c.in), c.out) << c.what;
  }
}

TEST(text_cleanup, words_are_runs_of_non_space) {
  EXPECT_EQ(count_words("Hello, world!\n\nThird\tword  "), 4);
  EXPECT_EQ(count_words(""), 0);
  EXPECT_EQ(count_words("Ünïcödé wörds"), 2);
}

}  // namespace
}  // namespace drover::documents
