// json_payloads.cpp - Boost.JSON on the hot path: a job's data is serialized on every add
// and parsed on every fetch; its result is serialized on every completion and parsed
// whenever the API reads a finished job; its stored options are parsed on every fetch.
#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "inputs.hpp"

namespace json = boost::json;

namespace drover::micro {
namespace {

void parse_chat_payload(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(json::parse(chat_payload_text()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chat_payload_text().size()));
}
BENCHMARK(parse_chat_payload);

void serialize_chat_payload(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(json::serialize(chat_payload()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chat_payload_text().size()));
}
BENCHMARK(serialize_chat_payload);

void serialize_chat_result(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(json::serialize(chat_result()));
}
BENCHMARK(serialize_chat_result);

void parse_chat_result(benchmark::State& state) {
  const auto text = json::serialize(chat_result());
  for (auto _ : state) benchmark::DoNotOptimize(json::parse(text));
}
BENCHMARK(parse_chat_result);

// The hash's "opts" as BullMQ stores it (cjson's output), read into job_options.
void read_stored_options(benchmark::State& state) {
  const auto& text = chat_job_hash()[13];
  for (auto _ : state) {
    auto o = job_options::from_stored(json::parse(text).as_object());
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(read_stored_options);

}  // namespace
}  // namespace drover::micro
