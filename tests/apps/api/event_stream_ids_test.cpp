// event_stream_ids_test.cpp - stream entry ids: parsed, ordered numerically (not as
// text), and their time.
#include <gtest/gtest.h>

#include "api/event_stream_ids.hpp"

namespace drover::api {
namespace {

TEST(event_stream_ids, order_is_numeric_by_time_then_sequence) {
  EXPECT_TRUE(stream_id_before("999-0", "1000-0"));  // as text, "999" > "1000"
  EXPECT_TRUE(stream_id_before("1000-2", "1000-10"));
  EXPECT_FALSE(stream_id_before("1000-10", "1000-10"));
  EXPECT_FALSE(stream_id_before("1001-0", "1000-99"));
  EXPECT_TRUE(stream_id_before("$", "0-0"));  // what does not parse comes first
  EXPECT_FALSE(stream_id_before("0-0", ""));
}

TEST(event_stream_ids, parse_and_time) {
  EXPECT_EQ(parse_stream_id("1700000000000-3"), (std::pair<std::uint64_t, std::uint64_t>{1700000000000, 3}));
  for (const char* bad : {"", "$", "12", "12-", "-3", "12-x", "1-2-3"})
    EXPECT_EQ(parse_stream_id(bad), std::nullopt) << bad;
  EXPECT_EQ(stream_id_ms("1700000000000-3"), 1700000000000);
  EXPECT_EQ(stream_id_ms("$"), 0);
}

TEST(event_stream_ids, the_predecessor_is_the_greatest_id_before) {
  EXPECT_EQ(stream_id_predecessor("5-1"), "5-0");
  EXPECT_EQ(stream_id_predecessor("5-0"), "4-18446744073709551615");
  EXPECT_TRUE(stream_id_before(*stream_id_predecessor("1700000000000-0"), "1700000000000-0"));
  EXPECT_EQ(stream_id_predecessor("0-0"), std::nullopt);
  EXPECT_EQ(stream_id_predecessor("$"), std::nullopt);
}

}  // namespace
}  // namespace drover::api
