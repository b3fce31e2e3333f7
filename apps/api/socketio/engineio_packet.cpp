// engineio_packet.cpp - Engine.IO v4 packet and payload codec.
#include "api/socketio/engineio_packet.hpp"

namespace drover::api::socketio::engineio {

std::string encode_packet(packet_type type, std::string_view data) {
  std::string out;
  out.reserve(1 + data.size());
  out.push_back(static_cast<char>(type));
  out.append(data);
  return out;
}

std::optional<packet> decode_packet(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '6') return std::nullopt;  // also 'b': binary
  return packet{static_cast<packet_type>(text.front()), std::string(text.substr(1))};
}

std::optional<std::vector<packet>> decode_payload(std::string_view body) {
  std::vector<packet> packets;
  for (;;) {
    const auto end = body.find(record_separator);
    auto decoded = decode_packet(body.substr(0, end));
    if (!decoded) return std::nullopt;
    packets.push_back(std::move(*decoded));
    if (end == std::string_view::npos) return packets;
    body.remove_prefix(end + 1);
  }
}

std::string encode_payload(const std::vector<std::string>& encoded_packets) {
  std::string out;
  for (std::size_t i = 0; i < encoded_packets.size(); ++i) {
    if (i > 0) out.push_back(record_separator);
    out.append(encoded_packets[i]);
  }
  return out;
}

}  // namespace drover::api::socketio::engineio
