// socketio_packet_fuzz.cpp - libFuzzer harness of the Socket.IO v5 codec (apps/api/socketio/socketio_packet.cpp).
//
// Input: one Socket.IO packet as an Engine.IO message carries it. A packet that decodes
// must encode to text that decodes to the same packet (the text itself may differ: JSON
// spacing, number spelling, leading zeros of an ack id). "The same" allows doubles to
// move by a few units in the last place: Boost.JSON 1.81's parser does not always round
// correctly, so a double does not always survive its own serialization.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/socketio/socketio_packet.hpp"

namespace sio = drover::api::socketio::sio;
namespace json = boost::json;

namespace {

bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.get_object().size() != b.get_object().size()) return false;
    for (const auto& kv : a.get_object()) {
      const auto* other = b.get_object().if_contains(kv.key());
      if (!other || !same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto packet = sio::decode_packet(text);
  if (!packet) return 0;
  auto again = sio::decode_packet(sio::encode_packet(*packet));
  if (!again || again->type != packet->type || again->nsp != packet->nsp || again->id != packet->id ||
      !same(again->data, packet->data)) {
    std::abort();
  }
  return 0;
}
