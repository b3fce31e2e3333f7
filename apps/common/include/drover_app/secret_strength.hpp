// secret_strength.hpp - whether a secret long enough is still easy to guess.
#pragma once

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>

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

// The shortest bearer token a production start takes (DASHBOARD_TOKEN, METRICS_TOKEN).
inline constexpr std::size_t production_min_token = 32;

// Why a production start must refuse METRICS_TOKEN, or "" when it may use it (unset
// included: /metrics then answers 403 or listens on loopback only). Both apps ask.
inline std::string metrics_token_weakness(std::string_view token) {
  if (token.empty() || (token.size() >= production_min_token && !guessable_secret(token))) return {};
  return fmt::format(
      "METRICS_TOKEN is too easy to guess: at least {} characters with {} different bytes needed; e.g. "
      "METRICS_TOKEN=$(openssl rand -hex 32)",
      production_min_token, min_distinct_secret_bytes);
}

}  // namespace drover::app
