// queue_presence.cpp - see queue_presence.hpp.
#include "drover_app/queue_presence.hpp"

#include <string>
#include <vector>

namespace drover::app {

const std::vector<std::string>& bullmq_job_states() {
  static const std::vector<std::string> states{"active",  "waiting",          "paused",    "prioritized",
                                               "delayed", "waiting-children", "completed", "failed"};
  return states;
}

boost::asio::awaitable<bool> queue_looks_unknown(queue& q) {
  auto meta = co_await q.get_meta();
  const bool has_meta = !meta.version.empty() || meta.paused || meta.max_len_events || meta.concurrency ||
                        meta.rate_limit || !meta.other.empty();
  if (has_meta) co_return false;
  auto states = bullmq_job_states();
  auto counts = co_await q.get_job_counts(std::move(states));
  for (const auto& [state, n] : counts) {
    if (n > 0) co_return false;
  }
  co_return true;
}

}  // namespace drover::app
