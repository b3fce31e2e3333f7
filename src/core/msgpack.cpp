// msgpack.cpp - MessagePack encoding on top of msgpuck's encoders.
#include "core/msgpack.hpp"

#include <msgpuck.h>

namespace drover::detail {

char* msgpack_writer::reserve(std::size_t n) {
  // Only the n bytes about to be written: commit() shrinks the buffer back to what was
  // written, so growing it further would zero-fill bytes that are cut off again; the
  // string's capacity still grows geometrically.
  buf_.resize(used_ + n);
  return buf_.data() + used_;
}

void msgpack_writer::commit(char* end) {
  used_ = static_cast<std::size_t>(end - buf_.data());
  // Keep bytes() exact: the buffer only ever holds what was written.
  buf_.resize(used_);
}

msgpack_writer& msgpack_writer::map(std::uint32_t n) {
  commit(mp_encode_map(reserve(mp_sizeof_map(n)), n));
  return *this;
}
msgpack_writer& msgpack_writer::array(std::uint32_t n) {
  commit(mp_encode_array(reserve(mp_sizeof_array(n)), n));
  return *this;
}
msgpack_writer& msgpack_writer::str(std::string_view s) {
  auto len = static_cast<std::uint32_t>(s.size());
  commit(mp_encode_str(reserve(mp_sizeof_str(len)), s.data(), len));
  return *this;
}
msgpack_writer& msgpack_writer::integer(std::int64_t v) {
  if (v >= 0) {
    auto u = static_cast<std::uint64_t>(v);
    commit(mp_encode_uint(reserve(mp_sizeof_uint(u)), u));
  } else {
    commit(mp_encode_int(reserve(mp_sizeof_int(v)), v));
  }
  return *this;
}
msgpack_writer& msgpack_writer::number(double v) {
  commit(mp_encode_double(reserve(mp_sizeof_double(v)), v));
  return *this;
}
msgpack_writer& msgpack_writer::boolean(bool v) {
  commit(mp_encode_bool(reserve(mp_sizeof_bool(v)), v));
  return *this;
}
msgpack_writer& msgpack_writer::nil() {
  commit(mp_encode_nil(reserve(mp_sizeof_nil())));
  return *this;
}

msgpack_writer& msgpack_writer::json(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return nil();
    case boost::json::kind::bool_:
      return boolean(v.get_bool());
    case boost::json::kind::int64:
      return integer(v.get_int64());
    case boost::json::kind::uint64: {
      auto u = v.get_uint64();
      commit(mp_encode_uint(reserve(mp_sizeof_uint(u)), u));
      return *this;
    }
    case boost::json::kind::double_:
      return number(v.get_double());
    case boost::json::kind::string:
      return str(v.get_string());
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      array(static_cast<std::uint32_t>(a.size()));
      for (const auto& e : a) json(e);
      return *this;
    }
    case boost::json::kind::object: {
      const auto& o = v.get_object();
      map(static_cast<std::uint32_t>(o.size()));
      for (const auto& kv : o) {
        str(kv.key());
        json(kv.value());
      }
      return *this;
    }
  }
  return *this;
}

}  // namespace drover::detail
