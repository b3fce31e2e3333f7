// text_page_test.cpp - a document's text a page at a time, bounded in JSON bytes.
#include "api/text_page.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <drover/json.hpp>

#include "api/http_error.hpp"

namespace {

using drover::api::page_of_text;
using drover::api::text_offset_of;

std::size_t json_size(std::string_view s) {
  return drover::serialize_json(boost::json::value(boost::json::string(s))).size();
}

// The whole text back from its pages, each within `budget` bytes of JSON.
std::string read_all(std::string_view text, std::size_t budget, std::size_t* pages = nullptr) {
  std::string out;
  std::optional<std::size_t> offset = 0;
  std::size_t n = 0;
  while (offset) {
    auto page = page_of_text(text, *offset, budget);
    EXPECT_EQ(page.offset, *offset);
    EXPECT_LE(json_size(page.text), budget + 2) << "page " << n;  // and its two quotes
    EXPECT_FALSE(page.text.empty());
    out += page.text;
    offset = page.next_offset;
    ++n;
  }
  if (pages) *pages = n;
  return out;
}

TEST(TextPage, ASmallTextIsOnePage) {
  auto page = page_of_text("Drover keeps every queue in Redis.", 0);
  EXPECT_EQ(page.text, "Drover keeps every queue in Redis.");
  EXPECT_FALSE(page.next_offset);
  auto empty = page_of_text("", 0);
  EXPECT_EQ(empty.text, "");
  EXPECT_FALSE(empty.next_offset);
}

TEST(TextPage, PagesAreBoundedByTheirJsonAndReadBackWhole) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "plain \x01\x02 \"quoted\" \\ naïve 🙂\n";
  std::size_t pages = 0;
  EXPECT_EQ(read_all(text, 100, &pages), text);
  EXPECT_GT(pages, 100U);
  // Control characters cost six bytes each: a budget of 60 holds ten of them.
  auto page = page_of_text(std::string(100, '\x01'), 0, 60);
  EXPECT_EQ(page.text.size(), 10U);
  EXPECT_EQ(page.next_offset, 10U);
  // Line breaks and tabs are written \n and \t, two bytes (counted as six, a page of
  // lines held a third of what it could: a documents review).
  const std::string breaks(100, '\n');  // the page is a view of it
  auto lines = page_of_text(breaks, 0, 60);
  EXPECT_EQ(lines.text.size(), 30U);
  EXPECT_EQ(json_size(lines.text), 62U);
}

TEST(TextPage, APageEndsOnACharactersEnd) {
  const std::string text = "a🙂b";  // the emoji is four bytes
  auto first = page_of_text(text, 0, 3);
  EXPECT_EQ(first.text, "a");
  EXPECT_EQ(first.next_offset, 1U);
  // A page holds at least one character, however small the budget.
  auto second = page_of_text(text, 1, 3);
  EXPECT_EQ(second.text, "🙂");
  EXPECT_EQ(second.next_offset, 5U);
}

TEST(TextPage, AnOffsetInsideACharacterMovesToTheNext) {
  const std::string text = "a🙂b";
  auto page = page_of_text(text, 2);
  EXPECT_EQ(page.offset, 5U);
  EXPECT_EQ(page.text, "b");
  EXPECT_FALSE(page.next_offset);
}

TEST(TextPage, TextThatIsNotUtf8StillPagesInBoundedSteps) {
  const std::string text = "\xF0" + std::string(100, '\x80');  // a lead byte, then a hundred continuations
  std::size_t pages = 0;
  EXPECT_EQ(read_all(text, 4, &pages), text);
  EXPECT_GT(pages, 20U);
}

TEST(TextPage, TheOffsetParameter) {
  EXPECT_EQ(text_offset_of(std::nullopt, 10), 0U);
  EXPECT_EQ(text_offset_of(std::string("7"), 10), 7U);
  EXPECT_EQ(text_offset_of(std::string("10"), 10), 10U);
  for (const char* bad : {"", "-1", "11", "1x", "0x10", "99999999999999999999999"}) {
    EXPECT_THROW(text_offset_of(std::string(bad), 10), drover::api::http_error) << bad;
  }
  // Not a number: the text's length is not yet known to the caller (a security review saw
  // "from 0 to 9223372036854775807, the text's length").
  try {
    text_offset_of(std::string("abc"), std::numeric_limits<std::int64_t>::max());
    FAIL() << "abc was taken";
  } catch (const drover::api::http_error& e) {
    EXPECT_EQ(std::string(e.what()), "'textOffset' must be a byte offset: a whole number from 0 to the text's length");
  }
}

}  // namespace
