// engineio_packet_test.cpp - Engine.IO packets and polling payloads, text in and out.
#include "api/socketio/engineio_packet.hpp"

#include <gtest/gtest.h>

namespace drover::api::socketio::engineio {
namespace {

struct packet_case {
  std::string text;
  std::optional<packet> expected;
};

TEST(engineio_packet, decodes_each_type_and_refuses_the_rest) {
  const std::vector<packet_case> cases = {
      {R"(0{"sid":"x"})", packet{packet_type::open, R"({"sid":"x"})"}},
      {"1", packet{packet_type::close, ""}},
      {"2", packet{packet_type::ping, ""}},
      {"2probe", packet{packet_type::ping, "probe"}},
      {"3", packet{packet_type::pong, ""}},
      {"3probe", packet{packet_type::pong, "probe"}},
      {R"(42["hi"])", packet{packet_type::message, R"(2["hi"])"}},
      {"4", packet{packet_type::message, ""}},
      {"5", packet{packet_type::upgrade, ""}},
      {"6", packet{packet_type::noop, ""}},
      {"", std::nullopt},
      {"7", std::nullopt},
      {"x", std::nullopt},
      {"bAQID", std::nullopt},  // base64 binary: not supported
      {"\x1e", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_packet(c.text), c.expected) << "text: " << c.text;
}

TEST(engineio_packet, encodes_type_digit_then_data) {
  EXPECT_EQ(encode_packet(packet_type::ping), "2");
  EXPECT_EQ(encode_packet(packet_type::pong, "probe"), "3probe");
  EXPECT_EQ(encode_packet(packet_type::message, "0"), "40");
  EXPECT_EQ(encode_packet(packet_type::noop), "6");
}

struct payload_case {
  std::string body;
  std::optional<std::vector<packet>> expected;
};

TEST(engineio_payload, splits_on_record_separator_and_refuses_any_bad_packet) {
  const std::vector<payload_case> cases = {
      {"40", std::vector<packet>{{packet_type::message, "0"}}},
      {"3\x1e"
       "42[\"a\"]\x1e"
       "1",
       std::vector<packet>{{packet_type::pong, ""}, {packet_type::message, R"(2["a"])"}, {packet_type::close, ""}}},
      {"4hello\x1e"
       "4world",
       std::vector<packet>{{packet_type::message, "hello"}, {packet_type::message, "world"}}},
      {"", std::nullopt},
      {"40\x1e", std::nullopt},  // trailing separator: an empty packet
      {"\x1e"
       "40",
       std::nullopt},
      {"40\x1e\x1e"
       "40",
       std::nullopt},
      {"40\x1e"
       "bAQID",
       std::nullopt},
      {"40\x1e"
       "9",
       std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_payload(c.body), c.expected) << "body: " << c.body;
}

TEST(engineio_payload, joins_encoded_packets) {
  EXPECT_EQ(encode_payload({}), "");
  EXPECT_EQ(encode_payload({"2"}), "2");
  EXPECT_EQ(encode_payload({"2", R"(42["x"])", "6"}),
            "2\x1e"
            R"(42["x"])"
            "\x1e"
            "6");
}

TEST(engineio_payload, round_trips) {
  const std::vector<std::string> encoded = {R"(0{"sid":"a"})", "40", R"(42["e",{"k":"v\u001e"}])", "2"};
  const auto decoded = decode_payload(encode_payload(encoded));
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    EXPECT_EQ(encode_packet((*decoded)[i].type, (*decoded)[i].data), encoded[i]);
  }
}

}  // namespace
}  // namespace drover::api::socketio::engineio
