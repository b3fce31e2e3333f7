// hash_slot.cpp - Redis Cluster's key to slot mapping (CRC16/XMODEM of the hash tag).
#include "redis/hash_slot.hpp"

#include <boost/crc.hpp>

namespace drover::redis {

namespace {

// The part of a key Redis hashes, when it is a hash tag; nullopt for the whole key.
std::optional<std::string_view> hash_tag(std::string_view key) {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return std::nullopt;
  return key.substr(open + 1, close - open - 1);
}

std::uint16_t crc16_slot(std::string_view text) {
  // XMODEM: polynomial 0x1021, initial value 0, no reflection, no final xor.
  boost::crc_optimal<16, 0x1021, 0, 0, false, false> crc;
  crc.process_bytes(text.data(), text.size());
  return static_cast<std::uint16_t>(crc.checksum() % cluster_slots);
}

}  // namespace

std::uint16_t hash_slot(std::string_view key) { return crc16_slot(hash_tag(key).value_or(key)); }

std::optional<std::uint16_t> fixed_slot(std::string_view prefix) {
  // A tag that closes inside the prefix is the one Redis uses for every longer key;
  // one that opens but does not close here would close somewhere in the suffix.
  auto tag = hash_tag(prefix);
  if (!tag) return std::nullopt;
  return crc16_slot(*tag);
}

}  // namespace drover::redis
