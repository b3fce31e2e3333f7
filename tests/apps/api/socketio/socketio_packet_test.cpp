// socketio_packet_test.cpp - Socket.IO packets: namespaces, ack ids, data shapes.
#include "api/socketio/socketio_packet.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>

namespace drover::api::socketio::sio {
namespace {
namespace json = boost::json;

packet make(packet_type type, std::string nsp, std::optional<std::uint64_t> id, std::string_view data_json) {
  packet p;
  p.type = type;
  p.nsp = std::move(nsp);
  p.id = id;
  if (!data_json.empty()) p.data = json::parse(data_json);
  return p;
}

struct valid_case {
  std::string text;
  packet expected;
};

// Every one of these is what socket.io-client 4 or the reference server writes, so
// each must also encode back to the same text.
const std::vector<valid_case>& valid_cases() {
  static const std::vector<valid_case> cases = {
      {"0", make(packet_type::connect, "/", std::nullopt, "")},
      {R"(0{"token":"abc"})", make(packet_type::connect, "/", std::nullopt, R"({"token":"abc"})")},
      {"0/admin,", make(packet_type::connect, "/admin", std::nullopt, "")},
      {R"(0/admin,{"a":1})", make(packet_type::connect, "/admin", std::nullopt, R"({"a":1})")},
      {"1", make(packet_type::disconnect, "/", std::nullopt, "")},
      {"1/admin,", make(packet_type::disconnect, "/admin", std::nullopt, "")},
      {R"(2["hello",1,{"x":[true,null]}])",
       make(packet_type::event, "/", std::nullopt, R"(["hello",1,{"x":[true,null]}])")},
      {R"(212["hello"])", make(packet_type::event, "/", 12, R"(["hello"])")},
      {R"(2/admin,3["x"])", make(packet_type::event, "/admin", 3, R"(["x"])")},
      {R"(20["x"])", make(packet_type::event, "/", 0, R"(["x"])")},
      {"31[]", make(packet_type::ack, "/", 1, "[]")},
      {R"(3/admin,7["ok",2])", make(packet_type::ack, "/admin", 7, R"(["ok",2])")},
      {R"(4{"message":"Invalid namespace"})",
       make(packet_type::connect_error, "/", std::nullopt, R"({"message":"Invalid namespace"})")},
      {R"(4/admin,"nope")", make(packet_type::connect_error, "/admin", std::nullopt, R"("nope")")},
  };
  return cases;
}

TEST(socketio_packet, decodes_what_clients_send) {
  for (const auto& c : valid_cases()) {
    const auto p = decode_packet(c.text);
    ASSERT_TRUE(p) << "text: " << c.text;
    EXPECT_EQ(*p, c.expected) << "text: " << c.text;
  }
}

TEST(socketio_packet, encodes_back_to_the_same_text) {
  for (const auto& c : valid_cases()) EXPECT_EQ(encode_packet(c.expected), c.text);
}

TEST(socketio_packet, accepts_a_namespace_without_comma_at_the_end) {
  // socket.io-parser reads the namespace up to ',' or the end of the text.
  const auto p = decode_packet("1/admin");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nsp, "/admin");
}

TEST(socketio_packet, refuses_malformed_input) {
  const std::vector<std::string> cases = {
      "",
      "7",
      "x",
      "-1",
      R"(51-["a",{"_placeholder":true,"num":0}])",  // binary event
      R"(61-1[{"_placeholder":true,"num":0}])",     // binary ack
      "2",                                          // event without data
      "2{}",                                        // event data must be an array
      "2[]",                                        // ... with the name first
      "2[1]",
      R"(2["a")",    // truncated JSON
      R"(2["a"]x)",  // trailing garbage
      R"(2["a"] ["b"])",
      "2/admin",                    // event without data, after a namespace
      R"(21234567890123456["a"])",  // 16-digit ack id
      "3[]",                        // ack without id
      "31",                         // ack without data
      R"(31{"a":1})",               // ack data must be an array
      "1{}",                        // disconnect carries nothing
      "0[]",                        // connect data must be an object
      "0null",
      R"(0"token")",
      "4",  // connect_error needs data
      "4[1]",
      R"(2["a",)" + std::string(100, '['),  // unbalanced nesting
  };
  for (const auto& text : cases) EXPECT_FALSE(decode_packet(text)) << "text: " << text;
}

// A Socket.IO review: half an emoji (what String.slice leaves, which JSON.stringify writes
// as "\ud83d") closed the connection; Node's socket.io reads it as JSON.parse does.
TEST(socketio_packet, a_lone_surrogate_reads_as_the_replacement_character) {
  const auto p = decode_packet(R"(2["join-conversation","Trip \ud83d"])");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->data.as_array().at(1).as_string(), "Trip \xef\xbf\xbd");
}

TEST(socketio_packet, refuses_nesting_deeper_than_the_json_parser_allows) {
  // Boost.JSON stops at depth 32 by default, which bounds the parser's stack.
  const std::string deep = "2[\"a\"," + std::string(100, '[') + std::string(100, ']') + "]";
  EXPECT_FALSE(decode_packet(deep));
}

// Issue 13 (fuzzing): Boost.JSON read 1e999 as infinity, which encode_packet wrote back
// as "Infinity", text that no client can parse.
TEST(socketio_packet, issue13_refuses_numbers_beyond_the_range_of_a_double) {
  for (const char* text : {R"(2["a",1e999])", R"(2["a",-1e999])",
                           R"(3310111111011111[555555555555555555555555555E555555])", R"(0{"x":{"y":[1E400]}})"}) {
    EXPECT_FALSE(decode_packet(text)) << text;
  }
  const auto largest = decode_packet(R"(2["a",1e308,-2.5])");
  ASSERT_TRUE(largest);
  EXPECT_EQ(decode_packet(encode_packet(*largest)), largest);
}

TEST(socketio_packet, keeps_large_ack_ids_exact) {
  const auto p = decode_packet(R"(2999999999999999["a"])");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, 999999999999999u);
}

TEST(socketio_packet, never_throws_on_mutated_input_and_round_trips_what_it_accepts) {
  // Malformed packets must close a session, never crash it: mutate valid packets
  // byte by byte and check the decoder only ever says yes or no.
  std::mt19937 rng(20240611);
  using namespace std::string_literals;
  const std::string alphabet = "0123456789/,[]{}\"\\:-_abc \x1e\x00\xff"s;  // with its NUL
  for (int round = 0; round < 20000; ++round) {
    std::string text = valid_cases()[rng() % valid_cases().size()].text;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const char c = alphabet[rng() % alphabet.size()];
      const std::size_t at = text.empty() ? 0 : rng() % text.size();
      switch (rng() % 3) {
        case 0:
          if (!text.empty()) text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          if (!text.empty()) text.erase(at, 1);
      }
    }
    std::optional<packet> p;
    EXPECT_NO_THROW(p = decode_packet(text)) << text;
    if (p) {
      EXPECT_EQ(decode_packet(encode_packet(*p)), p) << text;
    }
  }
}

}  // namespace
}  // namespace drover::api::socketio::sio
