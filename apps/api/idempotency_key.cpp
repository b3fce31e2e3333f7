// idempotency_key.cpp - see idempotency_key.hpp.
#include "api/idempotency_key.hpp"

#include <openssl/sha.h>

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "api/http_error.hpp"

namespace drover::api {

namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == ':' || c == '~' || c == '+' || c == '/' || c == '=';
}

http_error bad_key(const std::string& why) {
  return http_error(httpd::http::status::bad_request, "'Idempotency-Key' " + why);
}

}  // namespace

std::optional<std::string> idempotency_key_of(const httpd::request& req) {
  auto found = req.equal_range("Idempotency-Key");
  if (found.first == found.second) return std::nullopt;
  if (std::next(found.first) != found.second) throw bad_key("must be given once");
  std::string_view key = found.first->value();
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
  if (key.empty()) throw bad_key("must not be empty");
  if (key.size() > max_idempotency_key_chars) {
    throw bad_key(fmt::format("is longer than {} characters", max_idempotency_key_chars));
  }
  for (char c : key) {
    if (!key_char(c)) throw bad_key("may hold only ASCII letters, digits and - _ . : ~ + / =");
  }
  return std::string(key);
}

std::string scoped_send_key(const std::string& user_id, const std::string& key) {
  // The user's length first: "ab"+"c" and "a"+"bc" must differ.
  std::string input = fmt::format("{}:{}:{}", user_id.size(), user_id, key);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  std::string out = "chat-send:";
  for (unsigned char b : digest) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace drover::api
