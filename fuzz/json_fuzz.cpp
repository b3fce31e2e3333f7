// json_fuzz.cpp - libFuzzer harness of parse_json and serialize_json (src/core/json.cpp),
// which read and write every job's data, options, progress and return value.
//
// Input: any text. Properties: no crash and no sanitizer report; a failed parse gives
// null; what parses is written as text that parses back to the same value (exact
// doubles and the lone-surrogate rewrite keep the round trip stable) — numbers compared
// by value, as JavaScript has one number type (9.4e15 comes back as the integer
// 9400000000000000), objects by their members whatever their order, as the writer puts
// array-index keys first as JSON.stringify does — except that an infinity (from 1e400)
// is written as null, as JSON.stringify writes it; and writing what was read back gives
// the same text again (the order the writer chose is stable).
#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <drover/json.hpp>

namespace {

bool has_infinity(const boost::json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (has_infinity(e)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (has_infinity(kv.value())) return true;
    }
  }
  return false;
}

// Equal as JavaScript sees them: a number is a number, whichever of Boost's kinds.
bool same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    return a == b;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (other == nullptr || !same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  auto v = drover::parse_json(input, ec);
  if (ec) {
    if (!v.is_null()) std::abort();
    return 0;
  }
  const auto text = drover::serialize_json(v);
  auto again = drover::parse_json(text, ec);
  if (ec) std::abort();
  if (!same(again, v) && !has_infinity(v)) std::abort();
  if (drover::serialize_json(again) != text) std::abort();
  return 0;
}
