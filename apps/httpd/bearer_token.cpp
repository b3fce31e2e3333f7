// bearer_token.cpp - a constant-time comparison of bearer tokens over their digests.
#include "httpd/bearer_token.hpp"

#include <boost/asio/ip/address.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <string>

namespace drover::httpd {

namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
}

}  // namespace

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  if (token.empty()) return false;
  constexpr std::string_view scheme = "Bearer ";
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (authorization.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char want = scheme[i];
    if (want >= 'A' && want <= 'Z') want = static_cast<char>(want - 'A' + 'a');
    if (c != want) return false;
  }
  auto given = authorization.substr(scheme.size());
  while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
  const auto a = digest(given);
  const auto b = digest(token);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

token_admission admit_bearer_token(std::string_view authorization, std::string_view token,
                                   std::string_view client_address, login_throttle& throttle) {
  token_admission out;
  if (token.empty()) {
    out.admitted = true;
    return out;
  }
  const bool presented = !authorization.empty();
  if (presented) {
    out.retry_after = throttle.blocked(client_address, {});
    if (out.retry_after.count() > 0) return out;
  }
  out.admitted = bearer_token_matches(authorization, token);
  if (!out.admitted && presented) throttle.failed(client_address, {});
  return out;
}

bool metrics_open_without_token(bool development, std::string_view bind) {
  if (development) return true;
  if (bind == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(bind), ec);
  return !ec && address.is_loopback();
}

}  // namespace drover::httpd
