// reply_test.cpp - reading a reply as an integer or as text, and the reader's limits.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/error.hpp"
#include "redis/reply.hpp"

namespace drover::redis {
namespace {

reply make(reply::kind type, std::string str = {}, std::int64_t integer = 0) {
  reply r;
  r.type = type;
  r.str = std::move(str);
  r.integer = integer;
  return r;
}

struct reply_case {
  const char* what;
  reply r;
  std::optional<std::int64_t> as_int;
  std::string as_string;
};

TEST(reply, as_int_and_as_string) {
  using k = reply::kind;
  const reply_case cases[] = {
      {"integer", make(k::integer, {}, 42), 42, "42"},
      {"negative integer", make(k::integer, {}, -3), -3, "-3"},
      {"zero", make(k::integer, {}, 0), 0, "0"},
      {"int64 max", make(k::integer, {}, INT64_MAX), INT64_MAX, "9223372036854775807"},
      {"numeric string", make(k::string, "17"), 17, "17"},
      {"negative string", make(k::string, "-6"), -6, "-6"},
      {"status number", make(k::status, "5"), 5, "5"},
      {"status OK", make(k::status, "OK"), std::nullopt, "OK"},
      {"text", make(k::string, "abc"), std::nullopt, "abc"},
      {"number then text", make(k::string, "12abc"), std::nullopt, "12abc"},
      {"float", make(k::string, "1.5"), std::nullopt, "1.5"},
      {"space", make(k::string, " 1"), std::nullopt, " 1"},
      {"empty string", make(k::string, ""), std::nullopt, ""},
      {"too large", make(k::string, "9223372036854775808"), std::nullopt, "9223372036854775808"},
      {"binary", make(k::string, std::string("a\0b", 3)), std::nullopt, std::string("a\0b", 3)},
      {"error", make(k::error, "ERR wrong"), std::nullopt, "ERR wrong"},
      // An error's text is never a number, even when it looks like one.
      {"numeric error", make(k::error, "7"), std::nullopt, "7"},
      {"nil", make(k::nil), std::nullopt, ""},
      {"array", make(k::array), std::nullopt, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.r.as_int(), c.as_int) << c.what;
    EXPECT_EQ(c.r.as_string(), c.as_string) << c.what;
  }
}

TEST(reply, kind_predicates) {
  using k = reply::kind;
  EXPECT_TRUE(reply{}.is_nil());
  EXPECT_TRUE(make(k::error, "ERR").is_error());
  EXPECT_TRUE(make(k::integer).is_integer());
  EXPECT_TRUE(make(k::array).is_array());
  EXPECT_TRUE(make(k::string).is_string());
  EXPECT_TRUE(make(k::status).is_string());
  EXPECT_FALSE(make(k::error).is_string());
  EXPECT_FALSE(make(k::integer).is_string());
}

TEST(reply, array_elements_keep_their_values) {
  reply r = make(reply::kind::array);
  r.elements.push_back(make(reply::kind::string, "1"));
  r.elements.push_back(make(reply::kind::nil));
  r.elements.push_back(make(reply::kind::integer, {}, -2));
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].as_int(), 1);
  EXPECT_TRUE(r.elements[1].is_nil());
  EXPECT_EQ(r.elements[2].as_string(), "-2");
  EXPECT_EQ(r.as_int(), std::nullopt);
}

// Feeds `bytes` to a reader from create_reader(); the first reply, or the reader's error.
struct read_result {
  std::optional<reply> r;
  std::string error;
};
read_result read_one(std::string_view bytes) {
  auto* reader = static_cast<redisReader*>(create_reader());
  read_result out;
  void* raw = nullptr;
  if (redisReaderFeed(reader, bytes.data(), bytes.size()) != REDIS_OK ||
      redisReaderGetReply(reader, &raw) != REDIS_OK) {
    out.error = reader->errstr;
  } else if (raw) {
    out.r = take_reply(raw);
  }
  redisReaderFree(reader);
  return out;
}

TEST(reply, reader_builds_drover_replies) {
  auto got = read_one("*3\r\n$2\r\nab\r\n:-4\r\n*1\r\n$-1\r\n");
  ASSERT_TRUE(got.r) << got.error;
  ASSERT_EQ(got.r->elements.size(), 3u);
  EXPECT_EQ(got.r->elements[0].str, "ab");
  EXPECT_EQ(got.r->elements[1].integer, -4);
  EXPECT_TRUE(got.r->elements[2].elements.at(0).is_nil());
}

// Every kind, nested, and a reply split across reads (hiredis keeps the half-built array
// between feeds), as the connection feeds what the socket gives.
TEST(reply, reader_builds_every_kind_across_feeds) {
  auto* reader = static_cast<redisReader*>(create_reader());
  const std::string bytes = "*5\r\n+OK\r\n-ERR no\r\n*0\r\n*2\r\n$5\r\nhello\r\n*-1\r\n:7\r\n$-1\r\n";
  std::vector<reply> got;
  for (char c : bytes) {
    ASSERT_EQ(redisReaderFeed(reader, &c, 1), REDIS_OK);
    void* raw = nullptr;
    ASSERT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
    if (raw) got.push_back(take_reply(raw));
  }
  // Half a reply left in the reader is freed with it.
  const std::string_view half = "*2\r\n$1\r\na\r\n";
  ASSERT_EQ(redisReaderFeed(reader, half.data(), half.size()), REDIS_OK);
  void* raw = nullptr;
  ASSERT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
  EXPECT_EQ(raw, nullptr);
  redisReaderFree(reader);
  ASSERT_EQ(got.size(), 2u);
  const auto& r = got[0];
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.elements.size(), 5u);
  EXPECT_EQ(r.elements[0].type, reply::kind::status);
  EXPECT_EQ(r.elements[0].str, "OK");
  EXPECT_TRUE(r.elements[1].is_error());
  EXPECT_EQ(r.elements[1].str, "ERR no");
  EXPECT_TRUE(r.elements[2].is_array());
  EXPECT_TRUE(r.elements[2].elements.empty());
  ASSERT_EQ(r.elements[3].elements.size(), 2u);
  EXPECT_EQ(r.elements[3].elements[0].str, "hello");
  EXPECT_TRUE(r.elements[3].elements[1].is_nil());
  EXPECT_EQ(r.elements[4].integer, 7);
  EXPECT_TRUE(got[1].is_nil());
}

// Issue 13 (fuzzing): an array header alone made hiredis allocate its element table,
// 8 bytes per announced element, before any element arrived.
TEST(reply, issue13_reader_refuses_an_array_header_over_the_limit) {
  for (const char* header : {"*300000001\r\n", "*2147483647\r\n", "*16777217\r\n", "*1\r\n*16777217\r\n"}) {
    auto got = read_one(header);
    EXPECT_FALSE(got.r) << header;
    EXPECT_FALSE(got.error.empty()) << header;
  }
  // Up to the limit, a header only waits for its elements.
  auto waiting = read_one("*16777216\r\n");
  EXPECT_FALSE(waiting.r);
  EXPECT_TRUE(waiting.error.empty()) << waiting.error;
}

// A missing or wrong password is said so, with where it goes (an operator review:
// "script getCounts failed: ERR Protocol error: unauthenticated multibulk length").
TEST(explain_refusal, names_the_password_and_where_it_goes) {
  struct test_case {
    const char* error;
    const char* says;  // empty: not about authentication
  };
  const test_case cases[] = {
      {"NOAUTH Authentication required.", "Redis needs a password (NOAUTH"},
      {"ERR Protocol error: unauthenticated multibulk length", "Redis needs a password (ERR Protocol"},
      {"ERR Protocol error: unauthenticated bulk length", "Redis needs a password"},
      {"WRONGPASS invalid username-password pair or user is disabled.", "Redis refused the username or password"},
      {"ERR invalid password", "Redis refused the username or password"},
      {"WRONGTYPE Operation against a key holding the wrong kind of value", ""},
      {"NOSCRIPT No matching script.", ""},
  };
  for (const auto& c : cases) {
    auto message = explain_refusal(c.error);
    if (*c.says == 0) {
      EXPECT_FALSE(message) << c.error;
      continue;
    }
    ASSERT_TRUE(message) << c.error;
    EXPECT_NE(message->find(c.says), std::string::npos) << *message;
    EXPECT_NE(message->find("REDIS_PASSWORD"), std::string::npos) << *message;
    EXPECT_NE(message->find("redis://"), std::string::npos) << *message;
  }
}

// An outside review met "script addStandardJobLean failed: MOVED 13170 127.0.0.1:21502"
// from `drover add --redis redis://<a cluster node>`.
TEST(explain_refusal, a_moved_reply_asks_for_a_cluster_url) {
  auto message = explain_refusal("MOVED 13170 127.0.0.1:21502");
  ASSERT_TRUE(message);
  EXPECT_EQ(*message,
            "MOVED 13170 127.0.0.1:21502 (the server is a node of a Redis Cluster: over a plain redis:// URL to "
            "one node, connect with a redis+cluster:// URL or REDIS_CLUSTER_NODES instead)");
  EXPECT_FALSE(explain_refusal("ASK 13170 127.0.0.1:21502"));  // followed on any cluster connection
}

// The same mistake with a queue that has no hash tag: its keys span slots.
TEST(explain_refusal, a_crossslot_reply_asks_for_a_cluster_url_and_a_hash_tag) {
  auto message = explain_refusal("CROSSSLOT Keys in request don't hash to the same slot");
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("redis+cluster://"), std::string::npos) << *message;
  EXPECT_NE(message->find("'{bull}'"), std::string::npos) << *message;
}

// Refusals that pass are outages to wait out: a worker keeps the outcome it has, an add
// answers 503, where a refusal for good (WRONGTYPE, NOSCRIPT...) is the caller's error.
reply error_reply(std::string message) {
  reply r;
  r.type = reply::kind::error;
  r.str = std::move(message);
  return r;
}

TEST(expect_no_error, a_refusal_that_passes_is_an_outage) {
  EXPECT_TRUE(is_passing_refusal("OOM command not allowed when used memory > 'maxmemory'."));
  EXPECT_TRUE(is_passing_refusal("LOADING Redis is loading the dataset in memory"));
  EXPECT_TRUE(is_passing_refusal("BUSY Redis is busy running a script."));
  EXPECT_TRUE(is_passing_refusal("MASTERDOWN Link with MASTER is down"));
  EXPECT_TRUE(is_passing_refusal("CLUSTERDOWN The cluster is down"));
  EXPECT_TRUE(is_passing_refusal("TRYAGAIN Multiple keys request during rehashing of slot"));
  EXPECT_TRUE(is_passing_refusal("MISCONF Errors writing to the AOF file: No space left on device"));
  EXPECT_FALSE(is_passing_refusal("CROSSSLOT Keys in request don't hash to the same slot"));
  EXPECT_FALSE(is_passing_refusal("WRONGTYPE Operation against a key holding the wrong kind of value"));
  try {
    expect_no_error(error_reply("OOM command not allowed when used memory > 'maxmemory'."), "SET k");
    FAIL();
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::redis_unavailable));
    EXPECT_NE(std::string(e.what()).find("raised"), std::string::npos) << e.what();
  }
  try {
    expect_no_error(error_reply("WRONGTYPE Operation"), "GET k");
    FAIL();
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::redis_error));
  }
}

}  // namespace
}  // namespace drover::redis
