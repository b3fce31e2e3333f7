// random_token.cpp - random_hex: RAND_bytes, printed as hex.
#include "drover_app/random_token.hpp"

#include <openssl/rand.h>

#include <limits>
#include <stdexcept>
#include <vector>

namespace drover::app {

std::string random_hex(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("random_hex: too many bytes asked for");
  }
  std::vector<unsigned char> raw(bytes);
  if (bytes > 0 && RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("random_hex: OpenSSL's RAND_bytes failed (generator not seeded?)");
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : raw) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

}  // namespace drover::app
