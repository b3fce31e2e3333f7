// cancellation.hpp - how a cancellation request is stored, shared by queue::cancel
// and the worker's cancel watcher.
//
// The request is a field of the job's hash rather than a pub/sub message: it is
// durable, so a worker that takes the job after the request, or whose connection
// was down when it was made, still sees it; it goes away with the job; and Node's
// bullmq ignores fields it does not know. Workers poll it for the jobs they run
// (worker_options::cancel_check_interval), one pipelined HMGET per worker per tick.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace drover::detail {

// The job hash field holding the request: JSON {"reason": "...", "at": ms}.
inline constexpr std::string_view cancel_field = "drover:cancel";

// The failedReason of a cancelled job, exactly.
inline constexpr std::string_view cancelled_reason = "cancelled";

// The request's reason text ("" when none was given or the JSON is unreadable).
std::string cancel_request_reason(std::string_view request_json);

// Whether a request still applies to a job whose attemptsMade is `attempts_made`. It
// names the attempt it was made during ("atm", added by cancelJob) and lapses once that
// attempt has ended, which only a worker that ignores requests (Node's) lets happen:
// the job retried by hand afterwards runs. A stalled attempt does not end (atm stays),
// so its next run is still cancelled. A request without "atm" always applies.
bool cancel_request_applies(std::string_view request_json, std::int64_t attempts_made);

}  // namespace drover::detail
