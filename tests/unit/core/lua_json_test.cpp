// lua_json_test.cpp - cjson_text without Redis: cjson's escapes and number forms, the key
// order of small tables, and what it declines. (tests/integration/core/lua_json_test.cpp
// compares it with Redis's own Lua.)
#include "core/lua_json.hpp"

#include <gtest/gtest.h>

namespace drover::detail {
namespace {

namespace json = boost::json;

TEST(lua_json, escapes_as_cjson_does) {
  EXPECT_EQ(cjson_text({{"k", "a\"b\\c/d\n\t\x01\x7f é"}}), "{\"k\":\"a\\\"b\\\\c\\/d\\n\\t\\u0001\\u007f é\"}");
  EXPECT_EQ(cjson_text({}), "{}");
  EXPECT_EQ(cjson_text({{"o", json::object{}}}), R"({"o":{}})");
}

TEST(lua_json, writes_integers_and_integral_doubles_as_digits) {
  EXPECT_EQ(cjson_text({{"a", 99'999'999'999'999}}), R"({"a":99999999999999})");
  EXPECT_EQ(cjson_text({{"a", -3.0}}), R"({"a":-3})");
  EXPECT_EQ(cjson_text({{"a", true}}), R"({"a":true})");
}

// Lua's next() order for keys inserted one by one: checked against Redis 7.0's
// cjson.encode(cmsgpack.unpack(...)).
TEST(lua_json, orders_keys_as_lua_tables_hold_them) {
  EXPECT_EQ(
      cjson_text({{"attempts", 3},
                  {"backoff", json::object{{"type", "fixed"}, {"delay", 40}}},
                  {"removeOnComplete", json::object{{"age", 60}, {"count", 10}}},
                  {"lifo", true}}),
      R"({"lifo":true,"removeOnComplete":{"age":60,"count":10},"backoff":{"delay":40,"type":"fixed"},"attempts":3})");
  EXPECT_EQ(cjson_text({{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}}), R"({"a":1,"c":3,"b":2,"e":5,"d":4})");
}

TEST(lua_json, declines_what_it_cannot_vouch_for) {
  EXPECT_FALSE(cjson_text({{"a", json::array{1, 2}}}));
  EXPECT_FALSE(cjson_text({{"a", nullptr}}));
  EXPECT_FALSE(cjson_text({{"a", 0.5}}));
  EXPECT_FALSE(cjson_text({{"a", 1e14}}));
  EXPECT_FALSE(cjson_text({{"a", -0.0}}));
  json::value deep = json::object{};
  for (int i = 0; i < 10; ++i) deep = json::object{{"d", deep}};
  EXPECT_FALSE(cjson_text(deep.as_object()));
}

}  // namespace
}  // namespace drover::detail
