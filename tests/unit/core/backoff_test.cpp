// backoff_test.cpp - BullMQ's retry delays, fixed and exponential, with and without jitter.
#include <gtest/gtest.h>

#include <drover/backoff.hpp>

namespace drover {
namespace {

struct backoff_case {
  const char* type;
  std::int64_t delay;
  std::optional<double> jitter;
  std::int64_t attempts_made;
  double random;
  std::optional<std::int64_t> expected;
};

TEST(backoff, matches_bullmq_formulas) {
  const backoff_case cases[] = {
      {"fixed", 300, std::nullopt, 1, 0.5, 300},
      {"fixed", 300, std::nullopt, 5, 0.5, 300},
      {"exponential", 200, std::nullopt, 1, 0.5, 200},
      {"exponential", 200, std::nullopt, 2, 0.5, 400},
      {"exponential", 200, std::nullopt, 3, 0.5, 800},
      {"exponential", 2000, std::nullopt, 3, 0.5, 8000},
      // jitter j: floor(r * v * j + v * (1 - j))
      {"fixed", 1000, 0.5, 1, 0.0, 500},
      {"fixed", 1000, 0.5, 1, 0.999, 999},
      {"exponential", 100, 1.0, 3, 0.25, 100},
      {"fixed", 1000, 0.0, 1, 0.3, 1000},
      {"custom", 1000, std::nullopt, 1, 0.5, std::nullopt},
  };
  for (const auto& c : cases) {
    backoff_options b{c.type, c.delay, c.jitter};
    auto got = backoff_delay(b, c.attempts_made, [&] { return c.random; });
    EXPECT_EQ(got, c.expected) << c.type << " delay " << c.delay << " attempt " << c.attempts_made;
  }
}

}  // namespace
}  // namespace drover
