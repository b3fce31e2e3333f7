// base64.cpp - both alphabets decoded through EVP_DecodeBlock, after the checks it does not make.
#include "drover_app/base64.hpp"

#include <openssl/evp.h>

#include <climits>

namespace drover::app {

namespace {

enum class alphabet { standard, url };

// The 6-bit value of a character of the alphabet, or -1.
int sextet(char c, alphabet a) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (a == alphabet::url ? '-' : '+')) return 62;
  if (c == (a == alphabet::url ? '_' : '/')) return 63;
  return -1;
}

// `in` without padding; EVP_DecodeBlock wants the standard alphabet, padded, and skips
// whitespace, so everything it would be lenient about is refused here first.
std::optional<std::string> decode(std::string_view in, alphabet a, bool canonical) {
  if (in.size() % 4 == 1 || in.size() > INT_MAX / 2) return std::nullopt;
  if (in.empty()) return std::string{};
  std::string b64;
  b64.reserve(in.size() + 3);
  for (char c : in) {
    if (sextet(c, a) < 0) return std::nullopt;
    b64.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  const std::size_t pad = (4 - in.size() % 4) % 4;
  // The last character carries 4 (one '=') or 2 (two '=') bits past the data.
  const int unused_mask = pad == 1 ? 0x03 : pad == 2 ? 0x0f : 0;
  if (canonical && (sextet(in.back(), a) & unused_mask) != 0) return std::nullopt;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  // EVP_DecodeBlock counts the zero bytes that padding stands for; drop them.
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL after
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 == 0 && !in.empty()) {
    // Padding only at the end, at most two.
    std::size_t padding = 0;
    while (padding < 2 && !in.empty() && in.back() == '=') {
      in.remove_suffix(1);
      ++padding;
    }
  }
  return decode(in, alphabet::standard, false);
}

std::optional<std::string> base64url_decode(std::string_view in) { return decode(in, alphabet::url, true); }

}  // namespace drover::app
