// packing.hpp - what the tests of src/core/scripts/ check of a packed call: the script,
// its key count (as in BullMQ's file name, e.g. moveToFinished-14), and every KEYS and
// ARGV string; msgpacked arguments are decoded to JSON text so that a test reads them.
#pragma once

#include <gtest/gtest.h>
#include <msgpuck.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "core/keys.hpp"
#include "core/scripts/script_call.hpp"

namespace drover::detail::scripts::test {

// The queue every test packs for: keys are "bull:q:<name>".
inline const queue_keys& keys() {
  static const queue_keys k("bull", "q");
  return k;
}

inline boost::json::value decode_one(const char*& p) {
  switch (mp_typeof(*p)) {
    case MP_NIL:
      mp_decode_nil(&p);
      return nullptr;
    case MP_BOOL:
      return mp_decode_bool(&p);
    case MP_UINT:
      return static_cast<std::int64_t>(mp_decode_uint(&p));
    case MP_INT:
      return mp_decode_int(&p);
    case MP_FLOAT:
      return mp_decode_float(&p);
    case MP_DOUBLE:
      return mp_decode_double(&p);
    case MP_STR: {
      std::uint32_t len = 0;
      const char* s = mp_decode_str(&p, &len);
      return boost::json::string(std::string_view(s, len));
    }
    case MP_ARRAY: {
      boost::json::array a;
      for (auto n = mp_decode_array(&p); n > 0; --n) a.push_back(decode_one(p));
      return a;
    }
    case MP_MAP: {
      boost::json::object o;
      for (auto n = mp_decode_map(&p); n > 0; --n) {
        auto k = decode_one(p);
        o[k.as_string()] = decode_one(p);
      }
      return o;
    }
    default:
      ADD_FAILURE() << "unexpected msgpack type";
      return nullptr;
  }
}

// A msgpacked argument as JSON text, e.g. {"token":"t","lockDuration":30000}.
inline std::string unpacked(const std::string& bytes) {
  const char* p = bytes.data();
  auto v = decode_one(p);
  EXPECT_EQ(p, bytes.data() + bytes.size()) << "trailing bytes";
  return boost::json::serialize(v);
}

// Replies, for the parse() tests.
inline redis::reply int_reply(std::int64_t n) {
  redis::reply r;
  r.type = redis::reply::kind::integer;
  r.integer = n;
  return r;
}
inline redis::reply str_reply(std::string s) {
  redis::reply r;
  r.type = redis::reply::kind::string;
  r.str = std::move(s);
  return r;
}
inline redis::reply array_reply(std::vector<redis::reply> elements) {
  redis::reply r;
  r.type = redis::reply::kind::array;
  r.elements = std::move(elements);
  return r;
}

// Checks the script, its key count, and the KEYS then ARGV strings.
inline void expect_packed(const script_call& call, const lua::script& s, int num_keys,
                          const std::vector<std::string>& expected) {
  ASSERT_EQ(call.script, &s);
  EXPECT_EQ(s.num_keys, num_keys) << s.name;
  EXPECT_EQ(call.args, expected) << s.name;
}

}  // namespace drover::detail::scripts::test
