// secret_strength.hpp - whether a secret long enough is still easy to guess.
#pragma once

#include <bitset>
#include <cstddef>
#include <string_view>

namespace drover::app {

// Length alone let 32 spaces, 32 "a"s or 24 zero bytes through as production secrets.
// What a generator makes (openssl rand -hex or -base64) has far more different bytes;
// so does a passphrase of a few words.
inline constexpr std::size_t min_distinct_secret_bytes = 8;

inline std::size_t distinct_bytes(std::string_view secret) {
  std::bitset<256> seen;
  for (unsigned char c : secret) seen.set(c);
  return seen.count();
}

inline bool guessable_secret(std::string_view secret) { return distinct_bytes(secret) < min_distinct_secret_bytes; }

}  // namespace drover::app
