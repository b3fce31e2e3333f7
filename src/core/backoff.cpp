// backoff.cpp - BullMQ's built-in retry delays, fixed and exponential.
#include "drover/backoff.hpp"

#include <cmath>
#include <random>

namespace drover {

namespace {

double default_random() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

std::int64_t with_jitter(double value, const std::optional<double>& jitter, const random_source& random) {
  if (!jitter || *jitter <= 0) return static_cast<std::int64_t>(value);
  double r = random ? random() : default_random();
  return static_cast<std::int64_t>(std::floor(r * value * *jitter + value * (1 - *jitter)));
}

}  // namespace

std::optional<std::int64_t> backoff_delay(const backoff_options& b, std::int64_t attempts_made,
                                          const random_source& random) {
  if (b.type == "fixed") return with_jitter(static_cast<double>(b.delay), b.jitter, random);
  if (b.type == "exponential") {
    double v = std::round(std::pow(2.0, static_cast<double>(attempts_made - 1)) * static_cast<double>(b.delay));
    return with_jitter(v, b.jitter, random);
  }
  return std::nullopt;
}

}  // namespace drover
