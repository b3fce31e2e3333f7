// unique_queue.cpp - queue names that no other test of the run meets.
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <random>

#include <fmt/format.h>

#include "support/async.hpp"

namespace drover::test {

// A test is a process of its own (or one of a shard's, in the sanitizer trees) and the suite
// cluster keeps every key for the whole run, so a name must differ from every earlier
// process's too: a counter starts at 1 in each, and
// a run number of 100,000 values met an earlier process's leftover jobs about once a run.
// The pid tells apart the processes alive at once; 64 random bits tell apart those that
// reuse a pid.
std::string unique_queue(const std::string& stem) {
  static std::atomic<int> n{0};
  static const std::uint64_t run = [] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) | rd();
  }();
  return fmt::format("{}-{}-{:x}-{}", stem, ::getpid(), run, ++n);
}

}  // namespace drover::test
