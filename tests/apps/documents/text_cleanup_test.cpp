// text_cleanup_test.cpp - the whitespace rules of the extractors.
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

TEST(text_cleanup, words_are_runs_of_non_space) {
  EXPECT_EQ(count_words("Hello, world!\n\nThird\tword  "), 4);
  EXPECT_EQ(count_words(""), 0);
  EXPECT_EQ(count_words("Ünïcödé wörds"), 2);
}

}  // namespace
}  // namespace drover::documents
