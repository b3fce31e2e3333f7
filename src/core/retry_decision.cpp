// retry_decision.cpp - see retry_decision.hpp.
#include "core/retry_decision.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "drover/backoff.hpp"

namespace drover::detail {

std::optional<std::int64_t> retry_delay(const job& j, const std::string& reason, bool unrecoverable,
                                        const worker_options& opts, std::string_view queue) {
  const auto attempts = j.opts.attempts.value_or(0);
  const bool started_enough = opts.max_started_attempts > 0 && j.attempts_started >= opts.max_started_attempts;
  if (unrecoverable || started_enough || j.attempts_made + 1 >= attempts) return std::nullopt;
  std::optional<std::int64_t> delay =
      j.opts.backoff ? backoff_delay(*j.opts.backoff, j.attempts_made + 1) : std::int64_t{0};
  // -1 means no retry to Node's shouldRetryJob, whichever strategy gave it (a fixed
  // backoff of -1 fails the job for good there).
  if (delay && *delay == -1) return std::nullopt;
  if (delay) return delay;
  if (opts.backoff_strategy) {
    // The owner's strategy decides; std::nullopt (or a negative delay) means no retry.
    try {
      delay = opts.backoff_strategy(j.attempts_made + 1, j.opts.backoff->type, reason, j);
      if (delay && *delay < 0) delay.reset();
    } catch (const std::exception& e) {
      spdlog::error("queue {}: job {} (attempt {}): the backoff strategy threw: {}; failing it", queue, j.id,
                    j.attempts_made + 1, e.what());
      delay.reset();
    } catch (...) {
      // Not an std::exception (throw 42): it left the worker's io_context::run() before.
      spdlog::error("queue {}: job {} (attempt {}): the backoff strategy threw an unknown exception; failing it", queue,
                    j.id, j.attempts_made + 1);
      delay.reset();
    }
    return delay;
  }
  spdlog::error("queue {}: job {} (attempt {}): unknown backoff type '{}'; failing it", queue, j.id,
                j.attempts_made + 1, j.opts.backoff->type);
  return std::nullopt;
}

boost::json::array stack_traces_with(const job& j, std::string_view text, std::string_view queue, bool unrecoverable) {
  boost::json::array traces;
  for (const auto& s : j.stacktrace) traces.emplace_back(s);
  // As V8 writes an error's stack: "Name: message", or just "Name" when the message is empty.
  const std::string_view error_name = unrecoverable ? "UnrecoverableError" : "Error";
  const auto head = text.empty() ? std::string(error_name) : fmt::format("{}: {}", error_name, text);
  traces.emplace_back(fmt::format("{}\n    at {} (drover worker, queue {})", head, j.name, queue));
  if (j.opts.stack_trace_limit) {
    auto limit = static_cast<std::size_t>(std::max<std::int64_t>(0, *j.opts.stack_trace_limit));
    while (traces.size() > limit) traces.erase(traces.begin());
  }
  return traces;
}

}  // namespace drover::detail
