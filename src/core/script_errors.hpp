// script_errors.hpp - turns the negative codes BullMQ's scripts return into errors.
#pragma once

#include <cstdint>
#include <string_view>

#include "drover/error.hpp"

namespace drover::detail {

// Builds the error for a script's negative return code, in BullMQ's words:
// "Missing lock for job 42. moveToFinished".
error script_code_error(std::int64_t code, std::string_view job_id, std::string_view command,
                        std::string_view state = {});

}  // namespace drover::detail
