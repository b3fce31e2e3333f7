// command_encoding.cpp - what becomes of a script call before it is written to the socket:
// the EVALSHA command made from the script's arguments (core/script_runner.cpp) and its
// RESP encoding (redis/command.cpp), as connection::exec encodes a pipeline into one
// new payload string.
#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>

#include "core/add_job.hpp"
#include "bench_worker.hpp"
#include "core/clock.hpp"
#include "core/script_runner.hpp"
#include "core/scripts/move_to_finished.hpp"
#include "inputs.hpp"
#include "redis/command.hpp"

namespace drover::micro {
namespace {

namespace scripts = detail::scripts;

scripts::script_call finish_call(bench_worker& w) {
  auto j = job::from_hash(job_id, chat_job_hash());
  auto& i = w.impl();
  return scripts::move_to_finished::of(i.state->keys, j, i.runner->next_token(), true,
                                       boost::json::serialize(chat_result()), "", true, i.state->opts, detail::now_ms())
      .pack();
}

// moveToFinished with fetch-next: the worker's one call per job in steady state.
void script_command_move_to_finished(benchmark::State& state) {
  bench_worker w;
  auto call = finish_call(w);
  for (auto _ : state) {
    auto cmd = detail::script_command(*call.script, call.args);
    benchmark::DoNotOptimize(cmd);
  }
}
BENCHMARK(script_command_move_to_finished);

void encode_move_to_finished(benchmark::State& state) {
  bench_worker w;
  auto call = finish_call(w);
  auto cmd = detail::script_command(*call.script, call.args);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string payload;
    redis::encode(cmd, payload);
    bytes = payload.size();
    benchmark::DoNotOptimize(payload);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(encode_move_to_finished);

// One add_bulk pipeline: bulk_size addStandardJob calls with a 1 KB payload each.
void encode_add_bulk(benchmark::State& state) {
  const detail::queue_keys keys("bull", queue_name);
  std::vector<redis::command> cmds;
  for (std::size_t i = 0; i < bulk_size; ++i) {
    auto p = detail::prepare_add(keys, new_job{"generate-response", chat_payload(), chat_job_options()});
    cmds.push_back(detail::script_command(*p.call.script, p.call.args));
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string payload;
    for (const auto& c : cmds) redis::encode(c, payload);
    bytes = payload.size();
    benchmark::DoNotOptimize(payload);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * bulk_size));
}
BENCHMARK(encode_add_bulk);

}  // namespace
}  // namespace drover::micro
