// job_log_line.hpp - how a processor's log line about its job begins: "queue <q>: job
// <id> (attempt <n>)", the form the JSON log lines take their queue, jobId and attempt
// fields from (drover_app/logging/json_formatter.cpp), as the library's own lines do.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include <drover/worker.hpp>

namespace drover::workers {

inline std::string job_log_line(std::string_view queue, const job& j) {
  return fmt::format("queue {}: job {} (attempt {})", queue, j.id, j.attempts_made + 1);
}

inline std::string job_log_line(const job_context& ctx) {
  // "<prefix>:<queue>": a queue's name holds no ':', a prefix may.
  const std::string key = ctx.queue_key();
  return job_log_line(std::string_view(key).substr(key.rfind(':') + 1), ctx.job());
}

}  // namespace drover::workers
