// argument_packing.cpp - the arguments of the scripts on the hot path, packed as Node's
// client packs them (msgpack through msgpuck, core/msgpack.cpp): moveToFinished's
// (detail::scripts::move_to_finished, core/scripts/move_to_finished.cpp) and addStandardJob's
// and drover's lean add (queue::add and add_bulk, detail::prepare_add in src/core/add_job.cpp).
#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>

#include "core/add_job.hpp"
#include "bench_worker.hpp"
#include "core/clock.hpp"
#include "core/msgpack.hpp"
#include "core/scripts/move_to_finished.hpp"
#include "inputs.hpp"

namespace drover::micro {
namespace {

// A completion: the result serialized, then the 23 keys and arguments.
void pack_move_to_finished(benchmark::State& state) {
  bench_worker w;
  auto j = job::from_hash(job_id, chat_job_hash());
  auto token = w.impl().runner->next_token();
  for (auto _ : state) {
    auto call = detail::scripts::move_to_finished::of(w.impl().state->keys, j, token, true,
                                                      boost::json::serialize(chat_result()), "", true,
                                                      w.impl().state->opts, detail::now_ms())
                    .pack();
    benchmark::DoNotOptimize(call);
  }
}
BENCHMARK(pack_move_to_finished);

// The stored options of a chat job, packed: what every add sends as its last argument.
void pack_job_options(benchmark::State& state) {
  const auto opts = chat_job_options();
  for (auto _ : state) {
    detail::msgpack_writer packed;
    packed.json(opts.to_stored());
    benchmark::DoNotOptimize(packed.take());
  }
}
BENCHMARK(pack_job_options);

// bulk_size adds as add_bulk prepares them: checked, data serialized, arguments packed
// (for BullMQ's addStandardJob: argument 0; for drover's lean add, as add_bulk sends them,
// with the options' JSON too: argument 1). Making the inputs (copies of the payload) and
// freeing the results (add_bulk hands the jobs to its caller) are left out of the time.
void pack_add_bulk(benchmark::State& state) {
  const auto standard =
      state.range(0) == 1 ? detail::scripts::standard_add::lean : detail::scripts::standard_add::bullmq;
  const detail::queue_keys keys("bull", queue_name);
  std::vector<detail::prepared_add> packed;
  packed.reserve(bulk_size);
  for (auto _ : state) {
    state.PauseTiming();
    packed.clear();
    std::vector<new_job> jobs(bulk_size, new_job{"generate-response", chat_payload(), chat_job_options()});
    state.ResumeTiming();
    for (auto& nj : jobs) packed.push_back(detail::prepare_add(keys, std::move(nj), standard));
    benchmark::DoNotOptimize(packed.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * bulk_size));
}
BENCHMARK(pack_add_bulk)->Arg(0)->Arg(1);

}  // namespace
}  // namespace drover::micro
