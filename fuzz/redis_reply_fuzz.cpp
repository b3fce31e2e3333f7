// redis_reply_fuzz.cpp - libFuzzer harness of the Redis reply path: hiredis's RESP reader
// with drover's limits (create_reader), fed as the connection feeds it
// (src/redis/connection.cpp), building drover's replies in place (src/redis/reply.cpp).
//
// Input: one byte choosing the size of the reads the bytes arrive in, then the bytes a
// server sent. hiredis itself is not instrumented (Debian's build), so coverage guides
// only drover's side; its allocations are still checked.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "redis/reply.hpp"

namespace {

using drover::redis::reply;

// Looks at every node the way callers do; checks what the types promise.
std::size_t visit(const reply& r) {
  std::size_t nodes = 1;
  const auto text = r.as_string();
  const auto number = r.as_int();
  if (r.is_nil() && (!text.empty() || number)) std::abort();
  if (r.is_integer() && (!number || *number != r.integer || text != std::to_string(r.integer))) std::abort();
  if (r.is_string() && text != r.str) std::abort();
  if (!r.is_array() && !r.elements.empty()) std::abort();
  for (const auto& e : r.elements) nodes += visit(e);
  return nodes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  std::size_t left = size - 1;

  auto* reader = static_cast<redisReader*>(drover::redis::create_reader());
  bool failed = false;
  while (left > 0 && !failed) {
    const std::size_t n = left < chunk ? left : chunk;
    failed = redisReaderFeed(reader, bytes, n) != REDIS_OK;
    bytes += n;
    left -= n;
    for (;;) {
      void* raw = nullptr;
      if (failed || redisReaderGetReply(reader, &raw) != REDIS_OK) {
        failed = true;
        break;
      }
      if (!raw) break;
      const reply r = drover::redis::take_reply(raw);
      visit(r);
    }
  }
  redisReaderFree(reader);
  return 0;
}
