// json_fuzz.cpp - libFuzzer harness of parse_json (src/core/json.cpp), which reads every
// job's data, options, progress and return value.
//
// Input: any text. Properties: no crash and no sanitizer report; what parses serializes
// to text that parses to the same value (exact doubles and the lone-surrogate rewrite
// keep a round trip stable).
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <drover/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  auto v = drover::parse_json(input, ec);
  if (ec) {
    if (!v.is_null()) std::abort();
    return 0;
  }
  // An infinity (from 1e400) is written as 1e99999, which reads back as an infinity.
  auto again = drover::parse_json(boost::json::serialize(v), ec);
  if (ec) std::abort();
  if (again != v) std::abort();
  return 0;
}
