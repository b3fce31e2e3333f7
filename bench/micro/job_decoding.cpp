// job_decoding.cpp - a job from its hash (job::from_hash, core/job.cpp): how the worker
// reads each job it fetches (fetcher::take_fetch_reply, core/worker/fetcher.cpp) and how
// queue::get_job reads one; and job::to_json, how the API shows one.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include "bench_worker.hpp"
#include "inputs.hpp"
#include "redis/reply.hpp"

namespace drover::micro {
namespace {

// The hash as BullMQ 6.7.0 leaves it after moveToActive.
void job_from_hash(benchmark::State& state, job_hash_fn hash) {
  const auto& fv = hash();
  for (auto _ : state) {
    auto j = job::from_hash(job_id, fv);
    benchmark::DoNotOptimize(j);
  }
}
BENCHMARK_CAPTURE(job_from_hash, chat, chat_job_hash);
BENCHMARK_CAPTURE(job_from_hash, noop, noop_job_hash);

// From the bytes of moveToFinished's reply to the next job, as the worker does it.
void fetch_reply_to_job(benchmark::State& state, job_hash_fn hash) {
  bench_worker w;
  auto* reader = static_cast<redisReader*>(redis::create_reader());
  const auto bytes = fetch_reply_bytes(hash());
  for (auto _ : state) {
    redisReaderFeed(reader, bytes.data(), bytes.size());
    void* raw = nullptr;
    redisReaderGetReply(reader, &raw);
    auto r = redis::take_reply(raw);
    auto j = w.impl().fetcher->take_fetch_reply(r);
    benchmark::DoNotOptimize(j);
  }
  redisReaderFree(reader);
}
BENCHMARK_CAPTURE(fetch_reply_to_job, chat, chat_job_hash);

void job_to_json(benchmark::State& state) {
  auto j = job::from_hash(job_id, chat_job_hash());
  j.returnvalue = chat_result();
  for (auto _ : state) {
    auto o = j.to_json();
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(job_to_json);

}  // namespace
}  // namespace drover::micro
