// reply.hpp - one Redis reply (RESP2), decoded from hiredis's reply tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace drover::redis {

struct reply {
  enum class kind { nil, integer, string, status, error, array };

  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string str;  // string, status and error replies
  std::vector<reply> elements;

  bool is_nil() const { return type == kind::nil; }
  bool is_error() const { return type == kind::error; }
  bool is_array() const { return type == kind::array; }
  bool is_integer() const { return type == kind::integer; }
  bool is_string() const { return type == kind::string || type == kind::status; }

  // The value as an integer: integer replies, and strings holding a number.
  // Returns std::nullopt for anything else.
  std::optional<std::int64_t> as_int() const;
  // The value as text: strings as they are, integers printed; empty for nil.
  std::string as_string() const;
};

// Decodes a tree built by hiredis's default reader functions (redisReply*).
reply from_hiredis(const void* redis_reply);

}  // namespace drover::redis
