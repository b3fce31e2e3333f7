// counting_allocator.hpp - how many heap allocations the micro-benchmark binary made:
// counting_allocator.cpp replaces the global operator new and malloc (for hiredis, which is
// C) in drover_micro_bench only, so a benchmark can report allocations per operation.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace drover::micro {

// Allocations made so far by operator new, malloc, calloc and realloc of a null pointer.
std::uint64_t allocations();

// Counts the allocations of a benchmark's loop: made before the loop, reported after it as
// the counter `allocs` (per iteration).
class allocation_counter {
 public:
  allocation_counter() : start_(allocations()) {}
  void report(benchmark::State& state) const {
    state.counters["allocs"] =
        benchmark::Counter(static_cast<double>(allocations() - start_), benchmark::Counter::kAvgIterations);
  }

 private:
  std::uint64_t start_;
};

}  // namespace drover::micro
