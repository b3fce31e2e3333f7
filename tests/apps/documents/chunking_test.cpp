// chunking_test.cpp - chunks hold whole paragraphs or sentences, stay under the cap,
// overlap, and lose nothing.
#include "documents/chunking.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>

namespace drover::documents {
namespace {

std::string sentence(int i) { return "Sentence number " + std::to_string(i) + " talks about queues."; }

std::string paragraph(int first, int count) {
  std::string p;
  for (int i = first; i < first + count; ++i) p += (p.empty() ? "" : " ") + sentence(i);
  return p;
}

TEST(chunking, short_text_is_one_chunk) {
  auto chunks = split_into_chunks("One paragraph.\n\nAnother one.");
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0], "One paragraph.\n\nAnother one.");
}

TEST(chunking, empty_text_has_no_chunks) {
  EXPECT_TRUE(split_into_chunks("").empty());
  EXPECT_TRUE(split_into_chunks("\n\n \n\n").empty());
}

TEST(chunking, paragraphs_stay_whole_when_they_fit) {
  // Three paragraphs of ~120 chars with a target of 200: one paragraph per chunk, never
  // a paragraph split, since each fits and two do not.
  chunking_options o{200, 300, 0};
  std::string text = paragraph(0, 3) + "\n\n" + paragraph(3, 3) + "\n\n" + paragraph(6, 3);
  auto chunks = split_into_chunks(text, o);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], paragraph(0, 3));
  EXPECT_EQ(chunks[1], paragraph(3, 3));
  EXPECT_EQ(chunks[2], paragraph(6, 3));
}

TEST(chunking, a_half_full_chunk_closes_at_a_paragraph_boundary) {
  // The first sentence of the second paragraph would still fit, but the paragraph would
  // not: the chunk closes after the first paragraph rather than splitting the second.
  chunking_options o{200, 300, 0};
  auto first = paragraph(0, 3);   // ~113 bytes, over half the target
  auto second = paragraph(3, 4);  // ~153 bytes
  ASSERT_LE(first.size() + 2 + sentence(3).size(), o.target_chars);
  auto chunks = split_into_chunks(first + "\n\n" + second, o);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], first);
  EXPECT_EQ(chunks[1], second);
}

TEST(chunking, long_paragraphs_split_at_sentences_with_overlap) {
  chunking_options o{150, 200, 60};
  auto text = paragraph(0, 20);
  auto chunks = split_into_chunks(text, o);
  ASSERT_GT(chunks.size(), 3u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].size(), o.max_chars) << i;
    // Whole sentences only: each chunk starts with "Sentence" and ends with a period.
    EXPECT_TRUE(chunks[i].starts_with("Sentence number ")) << chunks[i];
    EXPECT_TRUE(chunks[i].ends_with("queues.")) << chunks[i];
  }
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    // The next chunk repeats the previous chunk's last sentence.
    auto last = chunks[i - 1].substr(chunks[i - 1].rfind("Sentence number "));
    EXPECT_TRUE(chunks[i].starts_with(last)) << chunks[i - 1] << " | " << chunks[i];
  }
  // Nothing lost: every sentence is in some chunk.
  for (int s = 0; s < 20; ++s) {
    bool found = false;
    for (const auto& c : chunks) found = found || c.find(sentence(s)) != std::string::npos;
    EXPECT_TRUE(found) << s;
  }
}

TEST(chunking, no_overlap_when_disabled) {
  chunking_options o{150, 200, 0};
  auto chunks = split_into_chunks(paragraph(0, 10), o);
  std::string joined;
  for (const auto& c : chunks) joined += (joined.empty() ? "" : " ") + c;
  EXPECT_EQ(joined, paragraph(0, 10));
}

TEST(chunking, an_overlong_sentence_is_cut_at_words_then_bytes) {
  chunking_options o{50, 60, 10};
  std::string words;
  for (int i = 0; i < 40; ++i) words += "word" + std::to_string(i) + " ";
  auto chunks = split_into_chunks(words, o);
  for (const auto& c : chunks) {
    EXPECT_LE(c.size(), 60u);
    EXPECT_FALSE(c.starts_with(" "));
    EXPECT_TRUE(c.starts_with("word")) << c;
  }
  // One "word" of 200 bytes of two-byte characters: cut, but never inside a character.
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "ü";
  chunks = split_into_chunks(umlauts, o);
  ASSERT_GT(chunks.size(), 3u);
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_LE(c.size(), 60u);
    EXPECT_EQ(c.size() % 2, 0u) << "cut inside a character";
    joined += c;
  }
  EXPECT_EQ(joined, umlauts);  // overlap only repeats whole units, and these have none
}

TEST(chunking, sentence_ends_after_closing_quotes_and_other_marks) {
  chunking_options o{40, 60, 0};
  auto chunks = split_into_chunks("He said \"stop.\" Then what? Nothing at all! The end came next.", o);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], "He said \"stop.\" Then what?");
  EXPECT_EQ(chunks[1], "Nothing at all! The end came next.");
}

// An i18n review: Japanese, Chinese and Hindi were cut at the size limit only, mid-word and
// with no overlap, their sentence ends not being ASCII's.
TEST(chunking, sentences_end_at_the_full_stops_of_other_scripts) {
  chunking_options o{150, 200, 60};
  std::string japanese;
  for (int i = 0; i < 20; ++i) japanese += "これは第" + std::to_string(i) + "番目の文です。";
  auto chunks = split_into_chunks(japanese, o);
  ASSERT_GT(chunks.size(), 3u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_TRUE(chunks[i].starts_with("これは第")) << chunks[i];
    EXPECT_TRUE(chunks[i].ends_with("です。")) << chunks[i];
  }
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    auto last = chunks[i - 1].substr(chunks[i - 1].rfind("これは第"));
    EXPECT_TRUE(chunks[i].starts_with(last)) << chunks[i - 1] << " | " << chunks[i];
  }
  // Each chunk ends at a sentence's end: after "？！" (both), "。」" (its bracket) and "।".
  chunking_options small{10, 80, 0};
  const auto mixed = split_into_chunks("本当？！「はい。」दिल्ली भारत की राजधानी है। ठीक है।", small);
  for (const auto& c : mixed) {
    EXPECT_TRUE(c.ends_with("？！") || c.ends_with("。」") || c.ends_with("।")) << c;
  }
  EXPECT_TRUE(std::any_of(mixed.begin(), mixed.end(), [](const std::string& c) {
    return c.find("दिल्ली भारत की राजधानी है।") != std::string::npos;
  }));
}

TEST(chunking, refuses_inconsistent_options) {
  EXPECT_THROW(split_into_chunks("x", {0, 10, 0}), std::invalid_argument);
  EXPECT_THROW(split_into_chunks("x", {100, 50, 0}), std::invalid_argument);
  EXPECT_THROW(split_into_chunks("x", {100, 200, 100}), std::invalid_argument);
}

}  // namespace
}  // namespace drover::documents
