// script_errors.hpp - turns the negative codes BullMQ's scripts return into errors.
#pragma once

#include <cstdint>
#include <string_view>

#include "drover/error.hpp"

namespace drover::detail {

// Builds the error for a script's negative return code, in BullMQ's words:
// "Missing lock for job 42. moveToFinished". For the parent's codes of an add (-5
// missing, -7 cannot be replaced), `job_id` is the parent's key, which BullMQ names.
error script_code_error(std::int64_t code, std::string_view job_id, std::string_view command,
                        std::string_view state = {});

// The error for Redis's error reply `message` to script `script`, with what it likely
// means (redis::explained: a MOVED from a plain URL to a cluster node, a refused password):
// script_error, or redis_unavailable for a refusal that passes (redis::is_passing_refusal).
error script_reply_error(std::string_view script, std::string_view message);

}  // namespace drover::detail
