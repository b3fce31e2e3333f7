// multipart_fuzz.cpp - libFuzzer harness of the multipart/form-data reader (apps/api/multipart.cpp).
//
// Input: a Content-Type header value, a line feed, then the body. A type without a
// usable boundary still has its body read, with the boundary "b".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const auto content_type = input.substr(0, newline);
  const auto body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  std::string boundary = "b";
  try {
    if (auto b = drover::api::multipart_boundary(content_type)) boundary = *b;
  } catch (const drover::api::multipart_error&) {
  }
  try {
    for (const auto& part : drover::api::parse_multipart(body, boundary)) {
      // Every part names itself, and its body lies inside the body it was read from.
      if (part.name.empty()) std::abort();
      if (part.body.data() < body.data() || part.body.data() + part.body.size() > body.data() + body.size()) {
        std::abort();
      }
    }
  } catch (const drover::api::multipart_error&) {
  }
  return 0;
}
