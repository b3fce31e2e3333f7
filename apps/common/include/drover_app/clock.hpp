// clock.hpp - wall-clock milliseconds since the epoch for the apps: the unit of
// BullMQ's timestamps, of the database's time columns and of the JSON the apps send.
// (The engine has its own in src/core/clock.hpp; apps may not include src/.)
#pragma once

#include <chrono>
#include <cstdint>

namespace drover::app {

inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace drover::app
