// history_page_test.cpp - a conversation's history page, bounded in messages and in bytes.
#include "api/history_page.hpp"

#include <gtest/gtest.h>

#include <drover/json.hpp>

#include "api/http_error.hpp"

namespace {

using drover::api::history_page;
using drover::api::history_query_of;
namespace json = boost::json;

std::vector<drover::app::message> messages(std::int64_t first, std::int64_t last, std::size_t size = 1) {
  std::vector<drover::app::message> out;
  for (auto id = first; id <= last; ++id) out.push_back({id, "c", "user", std::string(size, 'x'), std::nullopt, 0});
  return out;
}

std::vector<std::int64_t> ids(const json::object& page) {
  std::vector<std::int64_t> out;
  for (const auto& m : page.at("messages").as_array()) out.push_back(m.at("id").as_int64());
  return out;
}

TEST(HistoryPage, TheNewestCountOldestFirstAndACursorWhenMoreRemain) {
  auto page = history_page("c", messages(1, 4), 3);  // asked for 3 + 1
  EXPECT_EQ(page.at("conversationId"), "c");
  EXPECT_EQ(ids(page), (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(page.at("hasMore"), true);
  EXPECT_EQ(page.at("nextBefore"), 2);

  auto last = history_page("c", messages(1, 1), 3);
  EXPECT_EQ(ids(last), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(last.at("hasMore"), false);
  EXPECT_TRUE(last.at("nextBefore").is_null());

  auto none = history_page("c", {}, 3);
  EXPECT_TRUE(none.at("messages").as_array().empty());
  EXPECT_EQ(none.at("hasMore"), false);
}

// The review's case: messages of control characters, each 6 times its size as JSON; a
// page stops before passing the byte cap, and says where the rest begins.
TEST(HistoryPage, StopsAtTheByteCapAndAlwaysTakesTheNewest) {
  std::vector<drover::app::message> ctl;
  for (std::int64_t id = 1; id <= 10; ++id)
    ctl.push_back({id, "c", "user", std::string(1000, '\x01'), std::nullopt, 0});
  auto page = history_page("c", ctl, 100, 20000);  // each message is over 6000 bytes of JSON
  EXPECT_EQ(ids(page), (std::vector<std::int64_t>{8, 9, 10}));
  EXPECT_EQ(page.at("hasMore"), true);
  EXPECT_EQ(page.at("nextBefore"), 8);
  EXPECT_LE(drover::serialize_json(page.at("messages")).size(), 20000u);

  auto one = history_page("c", messages(1, 2, 5000), 100, 100);  // the newest alone is over the cap
  EXPECT_EQ(ids(one), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(one.at("nextBefore"), 2);
}

TEST(HistoryPage, QueryParameters) {
  EXPECT_EQ(history_query_of(std::nullopt, std::nullopt).count, 100u);
  EXPECT_FALSE(history_query_of(std::nullopt, std::nullopt).before);
  auto q = history_query_of(std::string("200"), std::string("17"));
  EXPECT_EQ(q.count, 200u);
  EXPECT_EQ(q.before, 17);
  for (const char* bad : {"0", "201", "-1", "ten", "5x", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(history_query_of(std::string(bad), std::nullopt), drover::api::http_error);
  }
  for (const char* bad : {"0", "-3", "abc", "99999999999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(history_query_of(std::nullopt, std::string(bad)), drover::api::http_error);
  }
}

}  // namespace
