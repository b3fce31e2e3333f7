// spoken_duration.hpp - durations as the alert messages say them: "90 s", "5 min", "2 h".
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <string>

namespace drover::workers {

inline std::string spoken(std::chrono::milliseconds d) {
  auto s = d.count() / 1000.0;
  if (s < 120) return fmt::format("{:g} s", s);
  if (s < 7200) return fmt::format("{:g} min", std::round(s / 6) / 10);
  return fmt::format("{:g} h", std::round(s / 360) / 10);
}

}  // namespace drover::workers
