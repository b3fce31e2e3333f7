// reply.cpp - conversion of hiredis replies into drover's own value type, and the reader
// with drover's limit on array headers.
#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace drover::redis {

std::optional<std::int64_t> reply::as_int() const {
  if (type == kind::integer) return integer;
  if (type == kind::string || type == kind::status) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
    if (ec == std::errc() && p == str.data() + str.size()) return v;
  }
  return std::nullopt;
}

std::string reply::as_string() const {
  switch (type) {
    case kind::integer:
      return std::to_string(integer);
    case kind::string:
    case kind::status:
    case kind::error:
      return str;
    default:
      return {};
  }
}

namespace {

// hiredis's own array constructor, which the limited one calls.
decltype(redisReplyObjectFunctions::createArray) hiredis_create_array = nullptr;

// The count's type differs between hiredis versions (int in 0.14, size_t in 1.x).
template <class Count>
void* create_limited_array(const redisReadTask* task, Count elements) {
  // A negative count (hiredis answers -1 with nil before asking) converts to a huge one.
  if (static_cast<unsigned long long>(elements) > max_reply_elements) return nullptr;
  return hiredis_create_array(task, elements);
}

template <class Object, class Task, class Count>
constexpr auto limited(Object (*)(const Task*, Count)) {
  return &create_limited_array<Count>;
}

// hiredis's default object functions (static inside hiredis: copied from a reader made
// with them), with the array constructor replaced.
redisReplyObjectFunctions* limited_functions() {
  static redisReplyObjectFunctions functions = [] {
    redisReader* probe = redisReaderCreate();
    redisReplyObjectFunctions f = *probe->fn;
    redisReaderFree(probe);
    hiredis_create_array = f.createArray;
    f.createArray = limited(f.createArray);
    return f;
  }();
  return &functions;
}

}  // namespace

void* create_reader() { return redisReaderCreateWithFunctions(limited_functions()); }

reply from_hiredis(const void* raw) {
  const auto* r = static_cast<const redisReply*>(raw);
  reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(from_hiredis(r->element[i]));
      break;
    default:
      out.type = reply::kind::nil;
  }
  return out;
}

}  // namespace drover::redis
