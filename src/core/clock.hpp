// clock.hpp - the engine's name for the public clock (drover/clock.hpp): wall-clock
// milliseconds, the time unit of every BullMQ score and field.
#pragma once

#include "drover/clock.hpp"

namespace drover::detail {

using drover::now_ms;

}  // namespace drover::detail
