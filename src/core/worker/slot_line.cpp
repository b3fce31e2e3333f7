// slot_line.cpp - a slot budget's free slots and its line of waiting fetchers.
#include "core/worker/slot_line.hpp"

#include <algorithm>

namespace drover::detail {

bool slot_line::try_take(event& waiter) {
  const bool first = line_.empty() || line_.front() == &waiter;
  if (free_ > 0 && first) {
    if (!line_.empty()) line_.pop_front();
    --free_;
    // More than one slot may have freed while the first in line was on its way.
    if (free_ > 0) wake_first();
    return true;
  }
  if (std::find(line_.begin(), line_.end(), &waiter) == line_.end()) line_.push_back(&waiter);
  return false;
}

void slot_line::release() {
  ++free_;
  wake_first();
}

void slot_line::leave(event& waiter) {
  const bool was_first = !line_.empty() && line_.front() == &waiter;
  std::erase(line_, &waiter);
  if (was_first && free_ > 0) wake_first();
}

void slot_line::wake_first() {
  if (!line_.empty()) line_.front()->notify_all();
}

}  // namespace drover::detail
