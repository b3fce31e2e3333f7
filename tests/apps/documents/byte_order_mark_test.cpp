// byte_order_mark_test.cpp - the three marks are recognised, and their text read as UTF-8.
#include "documents/byte_order_mark.hpp"

#include <gtest/gtest.h>

namespace drover::documents {
namespace {

using namespace std::string_view_literals;

TEST(byte_order_mark, each_mark_is_recognised_and_read_as_utf8) {
  EXPECT_TRUE(has_byte_order_mark("\xEF\xBB\xBFhi"sv));
  EXPECT_TRUE(has_byte_order_mark("\xFF\xFEh\0"sv));
  EXPECT_TRUE(has_byte_order_mark("\xFE\xFF\0h"sv));
  EXPECT_FALSE(has_byte_order_mark("hi"sv));
  EXPECT_FALSE(has_byte_order_mark("\xEF\xBB"sv)) << "half a mark";
  EXPECT_FALSE(has_byte_order_mark(""sv));

  EXPECT_EQ(utf8_from_byte_order_mark("\xEF\xBB\xBFhi"sv), "hi");
  EXPECT_EQ(utf8_from_byte_order_mark("\xFF\xFEh\0\xE9\0"sv), "h\xC3\xA9");
  EXPECT_EQ(utf8_from_byte_order_mark("\xFE\xFF\0h\0\xE9"sv), "h\xC3\xA9");
  EXPECT_EQ(utf8_from_byte_order_mark("hi"sv), std::nullopt);
  // A lone surrogate and an odd last byte are each one replacement character.
  EXPECT_EQ(utf8_from_byte_order_mark("\xFF\xFE\x00\xD8h\0x"sv), "\xEF\xBF\xBDh\xEF\xBF\xBD");
}

}  // namespace
}  // namespace drover::documents
