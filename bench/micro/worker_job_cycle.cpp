// worker_job_cycle.cpp - the worker's whole client-side cost of one job in steady state,
// all but the processor and the socket: read moveToFinished's reply that carries the next
// job, decode the job, serialize its result, pack and encode the next moveToFinished.
// The pieces are measured one by one in the other files. `allocs` counts the heap
// allocations of one cycle (counting_allocator.hpp): the steady path's target is none.
#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>
#include <hiredis/hiredis.h>

#include "bench_worker.hpp"
#include "counting_allocator.hpp"
#include "core/clock.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/move_to_finished.hpp"
#include "inputs.hpp"
#include "redis/command.hpp"
#include "redis/reply.hpp"

namespace drover::micro {
namespace {

// `chat`: a 1 KB chat job answered with ~600 characters; `noop`: one of `make bench`'s
// no-op jobs, whose processor returns null.
void worker_job_cycle(benchmark::State& state, job_hash_fn hash, const boost::json::value* result) {
  bench_worker w;
  auto* reader = static_cast<redisReader*>(redis::create_reader());
  const auto bytes = fetch_reply_bytes(hash());
  const auto token = w.impl().runner->next_token();
  allocation_counter allocs;
  for (auto _ : state) {
    redisReaderFeed(reader, bytes.data(), bytes.size());
    void* raw = nullptr;
    redisReaderGetReply(reader, &raw);
    auto r = redis::take_reply(raw);
    auto j = w.impl().fetcher->take_fetch_reply(r);
    auto call =
        detail::scripts::move_to_finished::of(w.impl().state->keys, *j, token, true, boost::json::serialize(*result),
                                              "", true, w.impl().state->opts, detail::now_ms())
            .pack();
    // As job_runner::record and the connection do it: the arguments moved into the
    // EVALSHA once, then encoded.
    auto prepared = detail::prepare_script(*call.script, std::move(call.args));
    std::string payload;
    for (const auto& c : prepared.cmds) redis::encode(c, payload);
    benchmark::DoNotOptimize(payload);
  }
  allocs.report(state);
  redisReaderFree(reader);
}
const boost::json::value null_result;
BENCHMARK_CAPTURE(worker_job_cycle, chat, chat_job_hash, &chat_result());
BENCHMARK_CAPTURE(worker_job_cycle, noop, noop_job_hash, &null_result);

}  // namespace
}  // namespace drover::micro
