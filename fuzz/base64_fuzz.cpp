// base64_fuzz.cpp - libFuzzer harness of the apps' base64 and base64url (apps/common/base64.cpp).
//
// Input: text to decode, and also bytes to encode. Properties: decoding an encoding
// gives the bytes back; base64url has one spelling per byte string, so what it accepts
// is exactly the unpadded URL-alphabet encoding of what it decoded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <drover_app/base64.hpp>

namespace {

std::string to_base64url(std::string_view bytes) {
  auto s = drover::app::base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace drover::app;

  auto encoded = base64_encode(input);
  if (encoded.size() % 4 != 0) std::abort();
  auto decoded = base64_decode(encoded);
  if (!decoded || *decoded != input) std::abort();
  auto url = base64url_decode(to_base64url(input));
  if (!url || *url != input) std::abort();

  if (auto d = base64_decode(input)) {
    if (d->size() > input.size()) std::abort();
  }
  if (auto d = base64url_decode(input)) {
    if (to_base64url(*d) != input) std::abort();
  }
  return 0;
}
