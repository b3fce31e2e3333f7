// socketio_packet.hpp - Socket.IO v5 packets, carried one per Engine.IO message.
//
// Wire form, as socket.io-parser 4 writes it:
//   <type>[<nsp>,][<ack id>][<JSON data>]      e.g. 2["ping",1]  21["ping"]  0/admin,{"token":"x"}
// The namespace is written only when it is not "/". Sans-I/O: only text in and
// out. Binary packets (types 5 and 6, with attachments) are not supported and
// decode as malformed, as does any payload the reference parser would refuse.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::api::socketio::sio {

enum class packet_type : char {
  connect = '0',        // client: join a namespace (data: optional auth object); server: accepted, data {"sid"}
  disconnect = '1',     // either way: leave the namespace; no data
  event = '2',          // data: ["name", args...]; with an id, the sender wants an ack
  ack = '3',            // data: [args...]; id: the event's id
  connect_error = '4',  // server: namespace refused, data {"message": ...}
  binary_event = '5',   // not supported
  binary_ack = '6',     // not supported
};

// The largest ack id we accept: socket.io-client counts from 0 and JavaScript
// numbers are exact up to 2^53, so 15 digits is more than any client sends.
inline constexpr std::size_t max_ack_id_digits = 15;

struct packet {
  packet_type type = packet_type::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;
  boost::json::value data;  // null when the packet carries no data

  friend bool operator==(const packet&, const packet&) = default;
};

// Returns the wire text of a packet. Null data is left out.
std::string encode_packet(const packet& p);

// Parses one packet. Returns std::nullopt when the text is malformed: unknown or
// binary type, bad namespace or id, data that is not JSON (or holds a number beyond
// the range of a double, which could not be written back as JSON), or data of the wrong
// shape for the type (an event must be a non-empty array starting with its name,
// an ack an array with an id, a connect an object or nothing, a disconnect nothing).
std::optional<packet> decode_packet(std::string_view text);

}  // namespace drover::api::socketio::sio
