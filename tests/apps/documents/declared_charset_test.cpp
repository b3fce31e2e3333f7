// declared_charset_test.cpp - text in the charset its Content-Type declares, as UTF-8.
#include "documents/declared_charset.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "documents/extracted_text.hpp"

namespace drover::documents {
namespace {

TEST(declared_charset, the_parameter_is_read_from_the_content_type) {
  EXPECT_EQ(charset_parameter("text/plain; charset=Shift_JIS"), "Shift_JIS");
  EXPECT_EQ(charset_parameter("text/html;CHARSET=\"windows-1256\" ; x=y"), "windows-1256");
  EXPECT_EQ(charset_parameter("text/plain; format=flowed; charset=utf-16le"), "utf-16le");
  EXPECT_EQ(charset_parameter("text/plain"), std::nullopt);
  EXPECT_EQ(charset_parameter("text/plain; charset="), std::nullopt);
  EXPECT_FALSE(needs_decoding("UTF-8"));
  EXPECT_FALSE(needs_decoding("us-ascii"));
  EXPECT_TRUE(needs_decoding("Shift_JIS"));
}

// An i18n review: a Shift_JIS, windows-1256 or UTF-16LE text declared so was read as UTF-8
// and stored "ready" as replacement characters.
TEST(declared_charset, declared_text_is_decoded_behind_a_byte_order_mark) {
  // "日本語" in Shift_JIS; "سلام" in windows-1256; "hé" in UTF-16LE without a mark.
  EXPECT_EQ(utf8_from_declared_charset("\x93\xfa\x96\x7b\x8c\xea", "Shift_JIS"), "\xEF\xBB\xBF日本語");
  EXPECT_EQ(utf8_from_declared_charset("\xd3\xe1\xc7\xe3", "windows-1256"), "\xEF\xBB\xBFسلام");
  EXPECT_EQ(utf8_from_declared_charset(std::string_view("h\0\xe9\0", 4), "utf-16le"), "\xEF\xBB\xBFhé");
  // Extraction reads the mark: an HTML page's own meta charset does not undo it.
  const auto page = utf8_from_declared_charset(
      "<html><head><meta charset=\"iso-8859-1\"><title>\x93\xfa\x96\x7b</title></head><body><p>\x8c\xea</p></body>"
      "</html>",
      "Shift_JIS");
  const auto out = extract_text("text/html", page, {});
  EXPECT_EQ(out.title, "日本");
  EXPECT_EQ(out.text, "語");
  EXPECT_EQ(extract_text("text/plain", utf8_from_declared_charset("\x93\xfa", "Shift_JIS"), {}).text, "日");
}

TEST(declared_charset, an_unknown_charset_or_text_not_in_it_is_refused) {
  EXPECT_THROW(utf8_from_declared_charset("x", "no-such-charset"), std::invalid_argument);
  try {
    utf8_from_declared_charset("ok\x81", "Shift_JIS");  // a lead byte without its trail
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not Shift_JIS from byte 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace drover::documents
