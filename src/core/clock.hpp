// clock.hpp - wall-clock milliseconds, the time unit of every BullMQ score and field.
#pragma once

#include <chrono>
#include <cstdint>

namespace drover::detail {

inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace drover::detail
