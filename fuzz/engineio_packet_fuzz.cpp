// engineio_packet_fuzz.cpp - libFuzzer harness of the Engine.IO v4 codec (apps/api/socketio/engineio_packet.cpp).
//
// Input: a polling payload (a POST body). What decodes must encode back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/socketio/engineio_packet.hpp"

namespace eio = drover::api::socketio::engineio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto one = eio::decode_packet(body)) {
    if (eio::encode_packet(one->type, one->data) != body) std::abort();
  }
  auto packets = eio::decode_payload(body);
  if (!packets) return 0;
  std::vector<std::string> encoded;
  for (const auto& p : *packets) encoded.push_back(eio::encode_packet(p.type, p.data));
  if (eio::encode_payload(encoded) != body) std::abort();
  return 0;
}
