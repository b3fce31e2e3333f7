// retry_after.hpp - the wait a server's Retry-After header asks for, read one way for the
// webhook receivers and the model server.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace drover::workers {

// RFC 9110: a number of seconds, or an HTTP date read against `now`; at most `longest`
// (a server may not park a worker for a day). std::nullopt when it reads as neither, so
// the caller keeps its own backoff; a date in the past asks for no wait.
std::optional<std::chrono::milliseconds> retry_after_wait(std::string_view value,
                                                          std::chrono::system_clock::time_point now,
                                                          std::chrono::milliseconds longest);

}  // namespace drover::workers
