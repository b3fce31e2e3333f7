// msgpack_fuzz.cpp - libFuzzer harness of the MessagePack writer (src/core/msgpack.cpp).
//
// Input: a first byte choosing the mode, then
//   even: JSON text; the writer's bytes, read back with msgpuck, must be the same value;
//   odd:  a sequence of writer calls drawn from the bytes; reading the output back one
//         item at a time must give each call's value in order.
#include <fuzzer/FuzzedDataProvider.h>
#include <msgpuck.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "core/msgpack.hpp"

namespace json = boost::json;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// One value of msgpuck's reading, as JSON (numbers keep their sign: uint64 or int64).
json::value read(const char*& p) {
  switch (mp_typeof(*p)) {
    case MP_NIL:
      mp_decode_nil(&p);
      return nullptr;
    case MP_BOOL:
      return mp_decode_bool(&p);
    case MP_UINT:
      return mp_decode_uint(&p);
    case MP_INT:
      return mp_decode_int(&p);
    case MP_DOUBLE:
      return mp_decode_double(&p);
    case MP_STR: {
      std::uint32_t len = 0;
      const char* s = mp_decode_str(&p, &len);
      return json::string(s, len);
    }
    case MP_ARRAY: {
      json::array a;
      for (std::uint32_t n = mp_decode_array(&p); n > 0; --n) a.push_back(read(p));
      return a;
    }
    case MP_MAP: {
      json::object o;
      for (std::uint32_t n = mp_decode_map(&p); n > 0; --n) {
        check(mp_typeof(*p) == MP_STR);
        std::uint32_t len = 0;
        const char* k = mp_decode_str(&p, &len);
        o[json::string_view(k, len)] = read(p);
      }
      return o;
    }
    default:
      std::abort();  // the writer never writes bin, ext or float32
  }
}

// Equal as MessagePack carries them: an int64 that is not negative comes back uint64.
bool same(const json::value& a, const json::value& b) {
  if (a.is_int64() && a.get_int64() >= 0)
    return b.is_uint64() && b.get_uint64() == static_cast<std::uint64_t>(a.get_int64());
  if (a.is_double()) {
    if (!b.is_double()) return false;
    const double x = a.get_double(), y = b.get_double();
    return std::memcmp(&x, &y, sizeof x) == 0;  // bit for bit: -0.0 stays -0.0
  }
  if (a.is_array()) {
    if (!b.is_array() || a.get_array().size() != b.get_array().size()) return false;
    for (std::size_t i = 0; i < a.get_array().size(); ++i) {
      if (!same(a.get_array()[i], b.get_array()[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (!b.is_object() || a.get_object().size() != b.get_object().size()) return false;
    for (const auto& kv : a.get_object()) {
      const auto* other = b.get_object().if_contains(kv.key());
      if (!other || !same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

void json_round_trip(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return;
  drover::detail::msgpack_writer w;
  w.json(v);
  const auto& bytes = w.bytes();
  const char* p = bytes.data();
  check(mp_check(&p, bytes.data() + bytes.size()) == 0 && p == bytes.data() + bytes.size());
  p = bytes.data();
  check(same(v, read(p)));
}

// What one writer call wrote, for reading back.
struct header {
  mp_type type;
  std::uint32_t size;
};
using item = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, header>;

void call_sequence(FuzzedDataProvider& in) {
  drover::detail::msgpack_writer w;
  std::vector<item> wrote;
  while (in.remaining_bytes() > 0 && wrote.size() < 256) {
    switch (in.ConsumeIntegralInRange(0, 6)) {
      case 0:
        w.nil();
        wrote.emplace_back(nullptr);
        break;
      case 1: {
        bool b = in.ConsumeBool();
        w.boolean(b);
        wrote.emplace_back(b);
        break;
      }
      case 2: {
        auto v = in.ConsumeIntegral<std::int64_t>();
        w.integer(v);
        wrote.emplace_back(v);
        break;
      }
      case 3: {
        auto v = in.ConsumeFloatingPoint<double>();
        w.number(v);
        wrote.emplace_back(v);
        break;
      }
      case 4: {
        auto s = in.ConsumeRandomLengthString(1024);
        w.str(s);
        wrote.emplace_back(std::move(s));
        break;
      }
      case 5: {
        auto n = in.ConsumeIntegral<std::uint32_t>();
        w.array(n);
        wrote.emplace_back(header{MP_ARRAY, n});
        break;
      }
      case 6: {
        auto n = in.ConsumeIntegral<std::uint32_t>();
        w.map(n);
        wrote.emplace_back(header{MP_MAP, n});
        break;
      }
    }
  }
  const std::string bytes = w.take();
  check(w.bytes().empty());
  const char* p = bytes.data();
  const char* end = bytes.data() + bytes.size();
  for (const auto& it : wrote) {
    check(p < end);
    if (std::holds_alternative<std::nullptr_t>(it)) {
      check(mp_typeof(*p) == MP_NIL);
      mp_decode_nil(&p);
    } else if (auto* b = std::get_if<bool>(&it)) {
      check(mp_typeof(*p) == MP_BOOL && mp_decode_bool(&p) == *b);
    } else if (auto* i = std::get_if<std::int64_t>(&it)) {
      if (*i >= 0) {
        check(mp_typeof(*p) == MP_UINT && mp_decode_uint(&p) == static_cast<std::uint64_t>(*i));
      } else {
        check(mp_typeof(*p) == MP_INT && mp_decode_int(&p) == *i);
      }
    } else if (auto* d = std::get_if<double>(&it)) {
      check(mp_typeof(*p) == MP_DOUBLE);
      const double got = mp_decode_double(&p);
      check(std::memcmp(&got, d, sizeof got) == 0);
    } else if (auto* s = std::get_if<std::string>(&it)) {
      check(mp_typeof(*p) == MP_STR);
      std::uint32_t len = 0;
      const char* got = mp_decode_str(&p, &len);
      check(std::string_view(got, len) == *s);
    } else {
      const auto& h = std::get<header>(it);
      check(mp_typeof(*p) == h.type);
      check((h.type == MP_ARRAY ? mp_decode_array(&p) : mp_decode_map(&p)) == h.size);
    }
  }
  check(p == end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    json_round_trip(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    call_sequence(in);
  }
  return 0;
}
