// clock.hpp - the apps' name for the library's clock (drover/clock.hpp): wall-clock
// milliseconds since the epoch, the unit of BullMQ's timestamps, of the database's time
// columns and of the JSON the apps send.
#pragma once

#include <drover/clock.hpp>

namespace drover::app {

using drover::now_ms;

}  // namespace drover::app
