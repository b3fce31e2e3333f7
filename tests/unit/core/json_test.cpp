// json_test.cpp - parse_json reads what JSON.stringify writes as JSON.parse reads it.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <drover/error.hpp>
#include <drover/json.hpp>

namespace json = boost::json;

namespace drover {
namespace {

double parsed_double(const std::string& text) {
  auto v = parse_json(text);
  EXPECT_TRUE(v.is_double()) << text;
  return v.is_double() ? v.get_double() : std::nan("");
}

// Decimals Boost 1.81's own parser reads one unit off in the last digit (found by a
// Node BullMQ user's round trip); the expected values are the C++ literals, which the
// compiler rounds correctly, as JSON.parse does.
TEST(parse_json, reads_every_decimal_exactly) {
  EXPECT_EQ(parsed_double("0.9814678925280975"), 0.9814678925280975);
  EXPECT_EQ(parsed_double("123456789.12345679"), 123456789.12345679);
  EXPECT_EQ(parsed_double("-2.2250738585072014e-308"), -2.2250738585072014e-308);
  EXPECT_EQ(parsed_double("1.7976931348623157e308"), 1.7976931348623157e308);
  EXPECT_EQ(parsed_double("5e-324"), 5e-324);
  EXPECT_EQ(parsed_double("0.1"), 0.1);
  EXPECT_EQ(parsed_double("1E21"), 1e21);
  // Beyond int64 and uint64, an integer is a double, as in JavaScript.
  EXPECT_EQ(parsed_double("123456789012345678901234567890"), 123456789012345678901234567890.0);
}

TEST(parse_json, reads_decimals_inside_documents_exactly) {
  auto v = parse_json(R"({"a":[0.9814678925280975,{"b":123456789.12345679}],"c":3})");
  EXPECT_EQ(v.at("a").at(0).as_double(), 0.9814678925280975);
  EXPECT_EQ(v.at("a").at(1).at("b").as_double(), 123456789.12345679);
  EXPECT_EQ(v.at("c").as_int64(), 3);
}

// A round trip through drover (read, then serialize) gives back the number Node wrote.
TEST(parse_json, a_decimal_survives_a_round_trip) {
  const std::string text = "[0.30000000000000004,2.718281828459045,1.0000000000000002]";
  auto first = parse_json(text);
  EXPECT_EQ(parse_json(json::serialize(first)), first);
  EXPECT_EQ(first.at(0).as_double(), 0.1 + 0.2);
}

TEST(parse_json, keeps_integers_as_integers) {
  EXPECT_EQ(parse_json("9007199254740993").as_int64(), 9007199254740993);
  EXPECT_EQ(parse_json("-5").as_int64(), -5);
  EXPECT_EQ(parse_json("18446744073709551615").as_uint64(), std::numeric_limits<std::uint64_t>::max());
}

TEST(parse_json, reads_a_number_too_large_for_a_double_as_infinity) {
  EXPECT_EQ(parsed_double("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parsed_double("-1e400"), -std::numeric_limits<double>::infinity());
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + "1" + std::string(depth, ']'); }

TEST(parse_json, allows_nesting_deeper_than_boosts_default_up_to_its_bound) {
  boost::system::error_code ec;
  parse_json(nested(40), ec);
  EXPECT_FALSE(ec) << ec.message();
  parse_json(nested(max_json_depth), ec);
  EXPECT_FALSE(ec) << ec.message();
  parse_json(nested(max_json_depth + 1), ec);
  EXPECT_TRUE(ec);
}

TEST(parse_json, reads_a_lone_surrogate_as_the_replacement_character) {
  EXPECT_EQ(parse_json(R"("a\ud83d")").as_string(), "a\xEF\xBF\xBD");
  EXPECT_EQ(parse_json(R"("\ude00b")").as_string(),
            "\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(parse_json(R"({"k\ud83d":"\ud83d\ud83d"})").as_object().begin()->key(), "k\xEF\xBF\xBD");
  EXPECT_EQ(parse_json(R"({"k":"\ud83d\ud83d"})").at("k").as_string(), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // A whole pair is one character (U+1F600), beside a lone half.
  EXPECT_EQ(parse_json(R"("\ud83d\ude00\ud83d")").as_string(), "\xF0\x9F\x98\x80\xEF\xBF\xBD");
}

TEST(parse_json, leaves_an_escaped_backslash_before_u_alone) {
  // "\\ud83d" is a backslash and five letters, not an escape; only the real escape after
  // it is lone.
  EXPECT_EQ(parse_json(R"("\\ud83d \ud83d")").as_string(), "\\ud83d \xEF\xBF\xBD");
  EXPECT_EQ(parse_json(R"(["\"", "\ud83d"])").at(1).as_string(), "\xEF\xBF\xBD");
}

TEST(parse_json, refuses_malformed_text_with_an_error) {
  for (const char* text : {"", "{", "[1,]", "{\"a\":1} x", "nul", "\"\\ud83d", "\"\\uZZZZ\"", "01", "\"\xC3\x28\""}) {
    boost::system::error_code ec;
    auto v = parse_json(text, ec);
    EXPECT_TRUE(ec) << text;
    EXPECT_TRUE(v.is_null()) << text;
  }
  EXPECT_THROW(parse_json("{"), boost::system::system_error);
}

TEST(parse_json, allows_whitespace_around_the_document) { EXPECT_EQ(parse_json(" \n{\"a\":1}\t ").at("a"), 1); }

// What JSON.stringify writes for the same numbers (checked against Node 20).
TEST(serialize_json, writes_numbers_as_javascript_does) {
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789.12345679, "123456789.12345679"},
      {0.30000000000000004, "0.30000000000000004"},
      {100.0, "100"},
      {-2.5, "-2.5"},
      {0.000001, "0.000001"},
      {1e-7, "1e-7"},
      {1.5e-7, "1.5e-7"},
      {123e-20, "1.23e-18"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {-0.0, "0"},
      {0.9814678925280975, "0.9814678925280975"},
      {12345.6789, "12345.6789"},
      {1.2e22, "1.2e+22"},
  };
  for (const auto& [x, text] : cases) EXPECT_EQ(serialize_json(x), text) << text;
  EXPECT_EQ(serialize_json(std::int64_t{-42}), "-42");
  EXPECT_EQ(serialize_json(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
}

// JSON.stringify(Infinity) and JSON.stringify(NaN) are "null"; Boost writes Infinity,
// which no JSON parser reads, so a Node user's getJob of such a return value failed.
TEST(serialize_json, writes_a_non_finite_double_as_null) {
  EXPECT_EQ(serialize_json(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(serialize_json(-std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(serialize_json(std::nan("")), "null");
  EXPECT_EQ(serialize_json(json::array{1, std::numeric_limits<double>::infinity()}), "[1,null]");
}

TEST(serialize_json, escapes_strings_as_json_stringify_does) {
  EXPECT_EQ(serialize_json("a\"b\\c\n\t\r\b\f\x01\x1f/\x7f\xC3\xA9\xE2\x80\xA8"),
            "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f/\x7f\xC3\xA9\xE2\x80\xA8\"");
}

TEST(serialize_json, writes_documents_in_order_without_whitespace) {
  const auto v =
      parse_json(R"( { "b" : [ 1 , 2.5 , "x" , null , true , false , { } , [ ] ] , "a" : { "c" : -0.1 } } )");
  EXPECT_EQ(serialize_json(v), R"({"b":[1,2.5,"x",null,true,false,{},[]],"a":{"c":-0.1}})");
}

// node -e 'console.log(JSON.stringify({"b":1,"2":2,"a":3,"1":4,"01":5,"4294967295":6,"-1":7}))'
TEST(serialize_json, writes_array_index_keys_first_as_javascript_orders_them) {
  EXPECT_EQ(serialize_json(parse_json(R"({"b":1,"2":2,"a":3,"1":4,"01":5,"4294967295":6,"-1":7,"4294967294":8})")),
            R"({"1":4,"2":2,"4294967294":8,"b":1,"a":3,"01":5,"4294967295":6,"-1":7})");
  EXPECT_EQ(serialize_json(parse_json(R"({"x":{"10":1,"9":2}})")), R"({"x":{"9":2,"10":1}})");
}

TEST(serialize_json, what_it_writes_reads_back_as_the_same_value) {
  for (const char* text :
       {R"({"x":0.9814678925280975,"y":[1e-7,1e21,123456789.12345679]})", R"("\u0000\ud83d\ude00")"}) {
    const auto v = parse_json(text);
    EXPECT_EQ(parse_json(serialize_json(v)), v) << text;
  }
}

// A C++ user's review: a result string of raw bytes was stored as it was, which Node read
// with U+FFFD in their place and drover's own reader refused (the result came back as a
// string, and a stack trace lost its history). Written as Node would read it.
TEST(serialize_json, writes_bytes_that_start_no_utf8_character_as_the_replacement_character) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(serialize_json(json::value("a\xff\xfe"
                                       "b\xc3")),
            "\"a" + fffd + fffd + "b" + fffd + "\"");
  // An encoded surrogate and an overlong '/' are no characters either: each byte goes.
  EXPECT_EQ(serialize_json(json::value("\xed\xa0\x80|\xc0\xaf")), "\"" + fffd + fffd + fffd + "|" + fffd + fffd + "\"");
  // Every well-formed character stays as it is, up to U+10FFFF.
  const std::string kept = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
  EXPECT_EQ(serialize_json(json::value(kept)), "\"" + kept + "\"");
  boost::system::error_code ec;
  (void)parse_json(serialize_json(json::value("x\xff")), ec);
  EXPECT_FALSE(ec) << ec.message();
}

// A C++ user's review: a processor's 50,000-deep result overflowed the worker's stack.
// As deep as parse_json reads is written; deeper is refused, without recursing further.
TEST(serialize_json, refuses_values_nested_deeper_than_parse_json_reads) {
  const std::string deepest = std::string(max_json_depth, '[') + std::string(max_json_depth, ']');
  boost::system::error_code ec;
  const auto read = parse_json(deepest, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(serialize_json(read), deepest);
  for (const std::size_t depth : {max_json_depth + 1, std::size_t{50000}}) {
    json::value v = json::array();
    for (std::size_t k = 1; k < depth; ++k) {
      json::array outer;
      outer.push_back(std::move(v));
      v = std::move(outer);
    }
    try {
      (void)serialize_json(v);
      ADD_FAILURE() << "written at depth " << depth;
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument)) << e.what();
      EXPECT_NE(std::string(e.what()).find("nested deeper than 1000 levels"), std::string::npos) << e.what();
    }
    // Taken apart a level at a time: destroying a value may recurse (json.hpp).
    while (v.is_array() && !v.get_array().empty()) {
      json::value inner = std::move(v.get_array()[0]);
      v = std::move(inner);
    }
  }
}

}  // namespace
}  // namespace drover
