// text_table_test.cpp - column widths, alignment, and the small formatters.
#include "text_table.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::cli {
namespace {

TEST(text_table, pads_columns_and_right_aligns_numbers) {
  text_table t({"QUEUE", "JOBS"}, {text_table::align::left, text_table::align::right});
  t.add_row({"emails", "7"});
  t.add_row({"a", "1234"});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(),
            "QUEUE   JOBS\n"
            "emails     7\n"
            "a       1234\n");
}

TEST(text_table, counts_utf8_as_one_column_and_fills_missing_cells) {
  text_table t({"A", "B", "C"});
  t.add_row({"é", "x"});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), "A  B  C\né  x\n");
  EXPECT_THROW(t.add_row({"1", "2", "3", "4"}), std::invalid_argument);
}

// An i18n review: rows after a name in kana, or an NFD "café", were shifted.
TEST(text_table, wide_characters_take_two_columns_and_combining_marks_none) {
  EXPECT_EQ(display_width("キュー"), 6u);
  EXPECT_EQ(display_width("cafe\u0301"), 4u);
  EXPECT_EQ(display_width("I \u2764\uFE0F \U0001F600"), 6u);
  text_table t({"QUEUE", "N"});
  t.add_row({"キュー", "1"});
  t.add_row({"cafe\u0301", "2"});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), "QUEUE   N\nキュー  1\ncafe\u0301    2\n");
  EXPECT_EQ(shorten("日本語のキュー", 5), "日本…");
}

TEST(text_table, formats_times_and_durations) {
  EXPECT_EQ(format_time(std::nullopt), "-");
  EXPECT_EQ(format_time(0), "-");
  EXPECT_EQ(format_time(1'700'000'000'123), "2023-11-14 22:13:20");
  struct {
    std::int64_t ms;
    const char* text;
  } cases[] = {{-1, "-"},         {0, "0ms"},           {999, "999ms"},        {1500, "1.5s"},
               {65'000, "1m05s"}, {7'800'000, "2h10m"}, {277'200'000, "3d05h"}};
  for (const auto& c : cases) EXPECT_EQ(format_duration(c.ms), c.text) << c.ms;
}

TEST(text_table, shortens_with_an_ellipsis_and_flattens_lines) {
  EXPECT_EQ(shorten("short", 10), "short");
  EXPECT_EQ(shorten("a\nb", 10), "a b");
  EXPECT_EQ(shorten("abcdefghij", 5), "abcd…");
  EXPECT_EQ(shorten("ééééé", 3), "éé…");
}

// A Node user's review: a job name or failure reason with OSC 0 (the terminal's title),
// OSC 52 (its clipboard) or ESC[8m (hidden text) reached the terminal as it was.
TEST(text_table, control_characters_from_stored_text_never_reach_the_terminal) {
  EXPECT_EQ(terminal_safe("\x1b]0;owned\x07name"), "\\x1b]0;owned\\x07name");
  EXPECT_EQ(terminal_safe("a\xc2\x9b"
                          "31mb"),
            "a\\x9b31mb");  // C1's CSI, as UTF-8
  EXPECT_EQ(terminal_safe("bad \xff byte"), "bad \\xff byte");
  EXPECT_EQ(terminal_safe("line\nnext\ttab"), "line next tab");
  EXPECT_EQ(terminal_safe("line\nnext\ttab", true), "line\nnext\ttab");
  EXPECT_EQ(terminal_safe("é 山 ✓"), "é 山 ✓");
  EXPECT_EQ(terminal_safe("report\u202etxt.exe"), "report\\u{202e}txt.exe");
  // Variation selectors and joiners of emoji show as the emoji; after ASCII they are escaped.
  EXPECT_EQ(terminal_safe("I \u2764\uFE0F it \U0001F3F3\uFE0F\u200D\U0001F308"),
            "I \u2764\uFE0F it \U0001F3F3\uFE0F\u200D\U0001F308");
  EXPECT_EQ(terminal_safe("alice\uFE0F"), "alice\\u{fe0f}");
  text_table t({"NAME"});
  t.add_row({"\x1b[8mhidden"});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), "NAME\n\\x1b[8mhidden\n");
  EXPECT_EQ(shorten("\x1b]52;c;ZXZpbA==\x07", 40), "\\x1b]52;c;ZXZpbA==\\x07");
}

}  // namespace
}  // namespace drover::cli
