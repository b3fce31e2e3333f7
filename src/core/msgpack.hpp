// msgpack.hpp - packs script arguments the way BullMQ's Node client packs them.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace drover::detail {

// Writes MessagePack (through msgpuck). Integers use the smallest integer form,
// other numbers float64, as Node's msgpackr does; the scripts decode with cmsgpack.
class msgpack_writer {
 public:
  msgpack_writer() = default;
  // Room for `capacity` bytes at once, for a value whose size is known roughly: one
  // allocation instead of one per doubling.
  explicit msgpack_writer(std::size_t capacity) { buf_.reserve(capacity); }
  msgpack_writer& map(std::uint32_t size);
  msgpack_writer& array(std::uint32_t size);
  msgpack_writer& str(std::string_view s);
  msgpack_writer& integer(std::int64_t v);
  msgpack_writer& number(double v);
  msgpack_writer& boolean(bool v);
  msgpack_writer& nil();
  // Any JSON value; integral doubles stay doubles.
  msgpack_writer& json(const boost::json::value& v);

  const std::string& bytes() const { return buf_; }
  std::string take() {
    used_ = 0;
    return std::exchange(buf_, {});
  }

 private:
  char* reserve(std::size_t n);
  void commit(char* end);
  std::string buf_;
  std::size_t used_ = 0;
};

}  // namespace drover::detail
