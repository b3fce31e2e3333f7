// log_throttle.hpp - at most one log line per period for a failure that repeats per request.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace drover::app {

// During an outage every request fails the same way: a line per request would bury the
// rest of the log (and fill the disk) at the rate clients retry. The first failure is
// logged at once, then at most one per period, saying how many it left out, so the
// timeline still shows when the failures began, went on and ended.
//
// Thread-safe: requests fail on several threads (the API's and the database's).
class log_throttle {
 public:
  using clock = std::chrono::steady_clock;

  explicit log_throttle(clock::duration period) : period_(period) {}

  // Whether to log this failure, and if so how many the throttle left out since the
  // line before it (0 for the first, or after a quiet period).
  std::optional<std::uint64_t> admit(clock::time_point now = clock::now()) {
    const auto at = now.time_since_epoch().count();
    auto next = next_allowed_.load(std::memory_order_relaxed);
    if (at < next || !next_allowed_.compare_exchange_strong(next, at + period_.count())) {
      left_out_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    return left_out_.exchange(0, std::memory_order_relaxed);
  }

  // Logs the line at warning level when admit() lets it through, saying how many it
  // stands for; formats nothing otherwise.
  template <class... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) {
    const auto left_out = admit();
    if (!left_out) return;
    auto line = fmt::format(format, std::forward<Args>(args)...);
    if (*left_out > 0) line += fmt::format(" ({} more since the last such line)", *left_out);
    spdlog::warn("{}", line);
  }

 private:
  clock::duration period_;
  std::atomic<clock::rep> next_allowed_{0};
  std::atomic<std::uint64_t> left_out_{0};
};

}  // namespace drover::app
