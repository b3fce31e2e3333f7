// clock.hpp - wall-clock milliseconds since the Unix epoch: the unit of every BullMQ
// timestamp and score, and of the times a job carries (job::timestamp, processed_on,
// finished_on) and takes (move_to_delayed's time, repeat_options' dates).
#pragma once

#include <chrono>
#include <cstdint>

namespace drover {

// The system clock now, in milliseconds since the epoch. Thread safety: any thread.
inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace drover
