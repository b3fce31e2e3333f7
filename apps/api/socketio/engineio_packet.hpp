// engineio_packet.hpp - Engine.IO v4 packets and the polling payloads that carry several.
//
// Sans-I/O: these functions only turn text into packets and back. Binary packets
// (a 'b' prefix in polling payloads, binary frames on a WebSocket) are not
// supported; drover's events are JSON, so they decode as malformed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::api::socketio::engineio {

// The packet types, spelled as the digit that starts each packet on the wire.
enum class packet_type : char {
  open = '0',     // server -> client, first packet: the handshake JSON
  close = '1',    // either way: the session ends
  ping = '2',     // server -> client every ping interval ("2probe" from a client probing a WebSocket)
  pong = '3',     // client -> server in answer to a ping ("3probe" answers a probe)
  message = '4',  // either way: one Socket.IO packet
  upgrade = '5',  // client -> server: switch the session to the probed WebSocket
  noop = '6',     // server -> client: completes a pending poll during an upgrade
};

struct packet {
  packet_type type;
  std::string data;

  friend bool operator==(const packet&, const packet&) = default;
};

// Returns the wire text of a packet: its type digit followed by its data.
std::string encode_packet(packet_type type, std::string_view data = {});

// Parses one text packet. Returns std::nullopt when the text is empty, starts with
// an unknown type, or is a binary packet.
std::optional<packet> decode_packet(std::string_view text);

// Separates the packets of a polling payload (ASCII record separator), which can
// never appear in a text packet because JSON escapes control characters.
inline constexpr char record_separator = '\x1e';

// Splits a polling payload (a POST body) into packets. Returns std::nullopt when
// any packet is malformed: the reference server then closes the session with
// "parse error", and so do we.
std::optional<std::vector<packet>> decode_payload(std::string_view body);

// Joins already-encoded packets into one polling payload (a GET response).
std::string encode_payload(const std::vector<std::string>& encoded_packets);

}  // namespace drover::api::socketio::engineio
