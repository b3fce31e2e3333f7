// random_id.cpp - session and client ids from the OS's random source.
#include "api/socketio/random_id.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace drover::api::socketio {

std::string random_id() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::random_device device;
  std::array<std::uint8_t, 15> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const auto word = device();  // 32 random bits, of which 24 are used
    bytes[i] = static_cast<std::uint8_t>(word);
    bytes[i + 1] = static_cast<std::uint8_t>(word >> 8);
    bytes[i + 2] = static_cast<std::uint8_t>(word >> 16);
  }
  std::string id;
  id.reserve(20);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    id.push_back(alphabet[(n >> 18) & 63]);
    id.push_back(alphabet[(n >> 12) & 63]);
    id.push_back(alphabet[(n >> 6) & 63]);
    id.push_back(alphabet[n & 63]);
  }
  return id;
}

}  // namespace drover::api::socketio
