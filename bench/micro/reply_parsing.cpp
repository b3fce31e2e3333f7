// reply_parsing.cpp - a reply from the bytes read off the socket: hiredis's reader with
// drover's reply functions builds drover's reply in place (redis/reply.cpp), as the
// connection's read loop does for every reply.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <memory>

#include "inputs.hpp"
#include "redis/reply.hpp"

namespace drover::micro {
namespace {

struct reader_deleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

// Feeds the bytes and decodes every reply in them; returns how many there were.
std::size_t read_all(redisReader* reader, const std::string& bytes) {
  redisReaderFeed(reader, bytes.data(), bytes.size());
  std::size_t n = 0;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK || !raw) break;
    redis::reply r = redis::take_reply(raw);
    benchmark::DoNotOptimize(r);
    ++n;
  }
  return n;
}

// moveToFinished's reply carrying the next job.
void read_fetch_reply(benchmark::State& state, job_hash_fn hash) {
  reader_ptr reader(static_cast<redisReader*>(redis::create_reader()));
  const auto bytes = fetch_reply_bytes(hash());
  for (auto _ : state) benchmark::DoNotOptimize(read_all(reader.get(), bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK_CAPTURE(read_fetch_reply, chat, chat_job_hash);
BENCHMARK_CAPTURE(read_fetch_reply, noop, noop_job_hash);

// The bulk_size job ids answering one add_bulk pipeline.
void read_add_bulk_replies(benchmark::State& state) {
  reader_ptr reader(static_cast<redisReader*>(redis::create_reader()));
  for (auto _ : state) benchmark::DoNotOptimize(read_all(reader.get(), add_bulk_reply_bytes()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * bulk_size));
}
BENCHMARK(read_add_bulk_replies);

}  // namespace
}  // namespace drover::micro
