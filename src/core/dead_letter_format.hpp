// dead_letter_format.hpp - the shape of a dead-letter entry, shared by the worker that
// writes it and dead_letter_queue that reads it (documented in dead_letter_queue.hpp).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "drover/queue.hpp"

namespace drover::detail {

inline constexpr std::string_view dead_letter_data_key = "data";
inline constexpr std::string_view dead_letter_origin_key = "deadLetter";

// One id per failure: copying the same failure again finds the entry and adds nothing.
std::string dead_letter_id(std::string_view source_queue, std::string_view job_id, std::int64_t finished_on);

// The entry for job `j` of `source_queue`, which failed for good at `finished_on` on
// worker `worker_name` (the layout in drover/dead_letter_queue.hpp), with the custom id
// dead_letter_id gives.
new_job dead_letter_entry(const job& j, std::string_view source_queue, std::string_view worker_name, std::string reason,
                          boost::json::array traces, std::int64_t finished_on);

}  // namespace drover::detail
