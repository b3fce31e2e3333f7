// socketio_packet.cpp - Socket.IO v5 packet codec, following socket.io-parser 4.2's
// decodeString and isPayloadValid.
#include "api/socketio/socketio_packet.hpp"

#include <drover/json.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>

namespace drover::api::socketio::sio {
namespace json = boost::json;

namespace {

// How deep a packet's arguments may nest: Boost.JSON's default, which bounds the stack a
// client's packet costs to parse.
constexpr std::size_t packet_json_depth = 32;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Boost.JSON 1.81 reads a number beyond the range of a double ("1e999") as infinity, and
// would write it back as "Infinity", which no JSON parser reads (issue 13, fuzzing). The
// parser's depth limit (32) bounds the recursion.
bool finite_numbers(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return std::isfinite(v.get_double());
    case json::kind::array: {
      const auto& a = v.get_array();
      return std::all_of(a.begin(), a.end(), finite_numbers);
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      return std::all_of(o.begin(), o.end(), [](const json::key_value_pair& kv) { return finite_numbers(kv.value()); });
    }
    default:
      return true;
  }
}

bool valid_data(const packet& p, bool has_data) {
  switch (p.type) {
    case packet_type::connect:
      return !has_data || p.data.is_object();
    case packet_type::disconnect:
      return !has_data;
    case packet_type::event: {
      const auto* a = p.data.if_array();
      return a && !a->empty() && a->front().is_string();
    }
    case packet_type::ack:
      return p.data.is_array() && p.id.has_value();
    case packet_type::connect_error:
      return p.data.is_object() || p.data.is_string();
    case packet_type::binary_event:
    case packet_type::binary_ack:
      return false;
  }
  return false;
}

}  // namespace

std::string encode_packet(const packet& p) {
  std::string out(1, static_cast<char>(p.type));
  if (p.nsp != "/") {
    out += p.nsp;
    out += ',';
  }
  if (p.id) out += std::to_string(*p.id);
  if (!p.data.is_null()) out += json::serialize(p.data);
  return out;
}

std::optional<packet> decode_packet(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '6') return std::nullopt;
  packet p;
  p.type = static_cast<packet_type>(text.front());
  text.remove_prefix(1);

  // Namespace: from a leading '/' up to ',' (or the end, as in "1/admin").
  if (!text.empty() && text.front() == '/') {
    const auto comma = text.find(',');
    p.nsp = std::string(text.substr(0, comma));
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }

  // Ack id: the digits before the data.
  std::size_t digits = 0;
  while (digits < text.size() && is_digit(text[digits])) ++digits;
  if (digits > max_ack_id_digits) return std::nullopt;
  if (digits > 0) {
    std::uint64_t id = 0;
    for (std::size_t i = 0; i < digits; ++i) id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
    p.id = id;
    text.remove_prefix(digits);
  }

  const bool has_data = !text.empty();
  if (has_data) {
    boost::system::error_code ec;
    // As JSON.parse reads it (half an emoji, "\ud83d", from a String.slice, is U+FFFD: Boost
    // refused the packet and closed the connection, and a client that sends it again on
    // connect looped), with Boost's default nesting bound for the parser's stack.
    p.data = drover::parse_json(text, ec, packet_json_depth);
    if (ec || !finite_numbers(p.data)) return std::nullopt;
  }
  if (!valid_data(p, has_data)) return std::nullopt;
  return p;
}

}  // namespace drover::api::socketio::sio
