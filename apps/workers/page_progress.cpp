// page_progress.cpp - see page_progress.hpp.
#include "workers/page_progress.hpp"

namespace drover::workers {

bool page_progress::worth_reporting(int done, int total) {
  if (total <= 0 || done >= total) return true;
  const int percent = static_cast<int>(static_cast<long long>(done) * 100 / total);
  if (percent <= last_percent_) return false;
  last_percent_ = percent;
  return true;
}

}  // namespace drover::workers
