// msgpack_test.cpp - the exact MessagePack bytes of script arguments, checked against
// the format spec (github.com/msgpack/msgpack/blob/master/spec.md) by hand.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "core/msgpack.hpp"

namespace json = boost::json;

namespace drover::detail {
namespace {

// "c0 a1 78" for the bytes C0 A1 78, so that a failure shows readable bytes.
std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The hex of n copies of byte b, each preceded by a space.
std::string repeat_hex(const char* b, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += std::string(" ") + b;
  return out;
}

struct bytes_case {
  const char* what;
  std::function<void(msgpack_writer&)> write;
  std::string expected;  // hex
};

template <std::size_t N>
void check(const bytes_case (&cases)[N]) {
  for (const auto& c : cases) {
    msgpack_writer w;
    c.write(w);
    EXPECT_EQ(hex(w.bytes()), c.expected) << c.what;
  }
}

TEST(msgpack_writer, integers_use_the_smallest_form) {
  constexpr auto max64 = std::numeric_limits<std::int64_t>::max();
  constexpr auto min64 = std::numeric_limits<std::int64_t>::min();
  const bytes_case cases[] = {
      // positive fixint 0xxxxxxx
      {"0", [](msgpack_writer& w) { w.integer(0); }, "00"},
      {"1", [](msgpack_writer& w) { w.integer(1); }, "01"},
      {"127", [](msgpack_writer& w) { w.integer(127); }, "7f"},
      // uint 8/16/32/64: cc cd ce cf, big-endian
      {"128", [](msgpack_writer& w) { w.integer(128); }, "cc 80"},
      {"255", [](msgpack_writer& w) { w.integer(255); }, "cc ff"},
      {"256", [](msgpack_writer& w) { w.integer(256); }, "cd 01 00"},
      {"65535", [](msgpack_writer& w) { w.integer(65535); }, "cd ff ff"},
      {"65536", [](msgpack_writer& w) { w.integer(65536); }, "ce 00 01 00 00"},
      {"4294967295", [](msgpack_writer& w) { w.integer(4294967295); }, "ce ff ff ff ff"},
      {"4294967296", [](msgpack_writer& w) { w.integer(4294967296); }, "cf 00 00 00 01 00 00 00 00"},
      {"ms timestamp", [](msgpack_writer& w) { w.integer(1700000000000); }, "cf 00 00 01 8b cf e5 68 00"},
      {"int64 max", [=](msgpack_writer& w) { w.integer(max64); }, "cf 7f ff ff ff ff ff ff ff"},
      // negative fixint 111xxxxx
      {"-1", [](msgpack_writer& w) { w.integer(-1); }, "ff"},
      {"-32", [](msgpack_writer& w) { w.integer(-32); }, "e0"},
      // int 8/16/32/64: d0 d1 d2 d3, two's complement big-endian
      {"-33", [](msgpack_writer& w) { w.integer(-33); }, "d0 df"},
      {"-128", [](msgpack_writer& w) { w.integer(-128); }, "d0 80"},
      {"-129", [](msgpack_writer& w) { w.integer(-129); }, "d1 ff 7f"},
      {"-32768", [](msgpack_writer& w) { w.integer(-32768); }, "d1 80 00"},
      {"-32769", [](msgpack_writer& w) { w.integer(-32769); }, "d2 ff ff 7f ff"},
      {"-2147483648", [](msgpack_writer& w) { w.integer(-2147483648LL); }, "d2 80 00 00 00"},
      {"-2147483649", [](msgpack_writer& w) { w.integer(-2147483649LL); }, "d3 ff ff ff ff 7f ff ff ff"},
      {"int64 min", [=](msgpack_writer& w) { w.integer(min64); }, "d3 80 00 00 00 00 00 00 00"},
  };
  check(cases);
}

TEST(msgpack_writer, strings_nil_bools_doubles) {
  const std::string s31(31, 'a'), s32(32, 'b'), s255(255, 'c'), s256(256, 'd');
  const bytes_case cases[] = {
      // fixstr 101xxxxx
      {"empty", [](msgpack_writer& w) { w.str(""); }, "a0"},
      {"abc", [](msgpack_writer& w) { w.str("abc"); }, "a3 61 62 63"},
      {"embedded NUL", [](msgpack_writer& w) { w.str(std::string_view("a\0b", 3)); }, "a3 61 00 62"},
      {"31 bytes", [&](msgpack_writer& w) { w.str(s31); }, "bf" + repeat_hex("61", 31)},
      // str 8: d9 len; str 16: da len len
      {"32 bytes", [&](msgpack_writer& w) { w.str(s32); }, "d9 20" + repeat_hex("62", 32)},
      {"255 bytes", [&](msgpack_writer& w) { w.str(s255); }, "d9 ff" + repeat_hex("63", 255)},
      {"256 bytes", [&](msgpack_writer& w) { w.str(s256); }, "da 01 00" + repeat_hex("64", 256)},
      {"utf-8", [](msgpack_writer& w) { w.str("\xc3\xa9"); }, "a2 c3 a9"},
      {"nil", [](msgpack_writer& w) { w.nil(); }, "c0"},
      {"false", [](msgpack_writer& w) { w.boolean(false); }, "c2"},
      {"true", [](msgpack_writer& w) { w.boolean(true); }, "c3"},
      // float 64: cb + IEEE 754 big-endian
      {"1.0", [](msgpack_writer& w) { w.number(1.0); }, "cb 3f f0 00 00 00 00 00 00"},
      {"1.5", [](msgpack_writer& w) { w.number(1.5); }, "cb 3f f8 00 00 00 00 00 00"},
      {"-2.5", [](msgpack_writer& w) { w.number(-2.5); }, "cb c0 04 00 00 00 00 00 00"},
      {"0.1", [](msgpack_writer& w) { w.number(0.1); }, "cb 3f b9 99 99 99 99 99 9a"},
      {"0.0", [](msgpack_writer& w) { w.number(0.0); }, "cb 00 00 00 00 00 00 00 00"},
  };
  check(cases);
}

TEST(msgpack_writer, array_and_map_headers) {
  const bytes_case cases[] = {
      // fixarray 1001xxxx; array 16: dc; array 32: dd
      {"array 0", [](msgpack_writer& w) { w.array(0); }, "90"},
      {"array 3", [](msgpack_writer& w) { w.array(3); }, "93"},
      {"array 15", [](msgpack_writer& w) { w.array(15); }, "9f"},
      {"array 16", [](msgpack_writer& w) { w.array(16); }, "dc 00 10"},
      {"array 65535", [](msgpack_writer& w) { w.array(65535); }, "dc ff ff"},
      {"array 65536", [](msgpack_writer& w) { w.array(65536); }, "dd 00 01 00 00"},
      // fixmap 1000xxxx; map 16: de; map 32: df
      {"map 0", [](msgpack_writer& w) { w.map(0); }, "80"},
      {"map 2", [](msgpack_writer& w) { w.map(2); }, "82"},
      {"map 15", [](msgpack_writer& w) { w.map(15); }, "8f"},
      {"map 16", [](msgpack_writer& w) { w.map(16); }, "de 00 10"},
      {"map 65536", [](msgpack_writer& w) { w.map(65536); }, "df 00 01 00 00"},
      // Calls chain and append in order.
      {"chain", [](msgpack_writer& w) { w.array(3).str("a").integer(-1).nil(); }, "93 a1 61 ff c0"},
      {"map chain",
       [](msgpack_writer& w) { w.map(2).str("token").str("t1").str("limiter").map(1).str("max").integer(300); },
       "82 a5 74 6f 6b 65 6e a2 74 31 a7 6c 69 6d 69 74 65 72 81 a3 6d 61 78 cd 01 2c"},
  };
  check(cases);
}

TEST(msgpack_writer, json_values) {
  const bytes_case cases[] = {
      {"null", [](msgpack_writer& w) { w.json(nullptr); }, "c0"},
      {"true", [](msgpack_writer& w) { w.json(true); }, "c3"},
      {"int64 5", [](msgpack_writer& w) { w.json(json::value(std::int64_t{5})); }, "05"},
      {"int64 -5", [](msgpack_writer& w) { w.json(json::value(std::int64_t{-5})); }, "fb"},
      {"int64 1000", [](msgpack_writer& w) { w.json(json::value(std::int64_t{1000})); }, "cd 03 e8"},
      {"uint64 max", [](msgpack_writer& w) { w.json(json::value(std::numeric_limits<std::uint64_t>::max())); },
       "cf ff ff ff ff ff ff ff ff"},
      {"uint64 small", [](msgpack_writer& w) { w.json(json::value(std::uint64_t{7})); }, "07"},
      // Integral doubles stay doubles.
      {"double 2.0", [](msgpack_writer& w) { w.json(2.0); }, "cb 40 00 00 00 00 00 00 00"},
      {"string", [](msgpack_writer& w) { w.json("x"); }, "a1 78"},
      {"empty array", [](msgpack_writer& w) { w.json(json::array()); }, "90"},
      {"empty object", [](msgpack_writer& w) { w.json(json::object()); }, "80"},
      {"array", [](msgpack_writer& w) { w.json(json::parse(R"([1,"a",null,-1.5])")); },
       "94 01 a1 61 c0 cb bf f8 00 00 00 00 00 00"},
      // Objects keep their key order.
      {"nested", [](msgpack_writer& w) { w.json(json::parse(R"({"a":1,"b":[true,{"c":null}],"d":{}})")); },
       "83 a1 61 01 a1 62 92 c3 81 a1 63 c0 a1 64 80"},
      {"opts",
       [](msgpack_writer& w) { w.json(json::parse(R"({"attempts":3,"backoff":{"type":"fixed","delay":1000}})")); },
       "82 a8 61 74 74 65 6d 70 74 73 03 a7 62 61 63 6b 6f 66 66 82 a4 74 79 70 65 a5 66 69 78 65 64 a5 64 65 "
       "6c 61 79 cd 03 e8"},
  };
  check(cases);
}

TEST(msgpack_writer, bytes_grow_with_many_writes) {
  // Many small writes force the buffer to grow; bytes() must hold exactly what was written.
  msgpack_writer w;
  w.array(1000);
  for (int i = 0; i < 1000; ++i) w.integer(i % 100);
  const std::string& b = w.bytes();
  ASSERT_EQ(b.size(), 3u + 1000u);
  EXPECT_EQ(hex(b.substr(0, 3)), "dc 03 e8");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(static_cast<unsigned char>(b[3 + i]), i % 100) << i;
}

TEST(msgpack_writer, take_returns_the_bytes) {
  msgpack_writer w;
  w.array(2).integer(1).str("a");
  EXPECT_EQ(hex(w.take()), "92 01 a1 61");
}

// Regression (was a bug): take() moves buf_ out but leaves used_ (src/core/msgpack.hpp, take()), so a
// writer used again after take() writes at the old offset and bytes() starts with
// that many zero bytes. No caller reuses a writer today.
TEST(msgpack_writer, is_empty_again_after_take) {
  msgpack_writer w;
  w.str("abc");
  (void)w.take();
  w.nil();
  EXPECT_EQ(hex(w.bytes()), "c0");
}

}  // namespace
}  // namespace drover::detail
