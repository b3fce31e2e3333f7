// base64url.cpp - base64url decoding on OpenSSL's base64 decoder.
#include "api/auth/base64url.hpp"

#include <openssl/evp.h>

#include <climits>

namespace drover::api::auth {

namespace {

// The 6-bit value of a base64url character, or -1.
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1 || in.size() > INT_MAX / 2) return std::nullopt;
  if (in.empty()) return std::string{};
  // EVP_DecodeBlock speaks standard, padded base64: translate the alphabet and pad.
  std::string b64;
  b64.reserve(in.size() + 3);
  for (char c : in) {
    if (sextet(c) < 0) return std::nullopt;
    b64.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  const std::size_t pad = (4 - in.size() % 4) % 4;
  // The last character carries 4 (one '=') or 2 (two '=') bits past the data.
  const int unused_mask = pad == 1 ? 0x03 : pad == 2 ? 0x0f : 0;
  if ((sextet(in.back()) & unused_mask) != 0) return std::nullopt;
  b64.append(pad, '=');

  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  // EVP_DecodeBlock counts the zero bytes that padding stands for; drop them.
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

}  // namespace drover::api::auth
