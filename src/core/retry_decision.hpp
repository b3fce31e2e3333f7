// retry_decision.hpp - what becomes of a failed attempt, decided on the worker's side as
// Node's job.shouldRetryJob decides it, and the stack trace the failure leaves. Shared by
// the worker's job runner and manual_worker::move_to_failed.
#pragma once

#include <boost/json/array.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drover/job.hpp"
#include "drover/worker.hpp"

namespace drover::detail {

// The delay before the attempt is retried: 0 retries at once, > 0 after that many ms;
// std::nullopt fails the job for good (no attempts left, unrecoverable, started
// max_started_attempts times, or no backoff says how: logged).
std::optional<std::int64_t> retry_delay(const job& j, const std::string& reason, bool unrecoverable,
                                        const worker_options& opts, std::string_view queue);

// The job's stack traces with this failure's added: BullMQ keeps one per failed attempt
// (up to stackTraceLimit); C++ exceptions carry no stack, so the entry names the error
// and the job. Its first line is a JavaScript stack's, "<class>: <message>": an
// unrecoverable failure's class is "UnrecoverableError", as Node's worker records it.
boost::json::array stack_traces_with(const job& j, std::string_view text, std::string_view queue,
                                     bool unrecoverable = false);

}  // namespace drover::detail
