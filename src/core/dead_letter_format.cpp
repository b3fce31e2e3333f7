// dead_letter_format.cpp - a dead-letter entry's id and contents (dead_letter_format.hpp).
#include "core/dead_letter_format.hpp"

#include <fmt/format.h>

namespace json = boost::json;

namespace drover::detail {

std::string dead_letter_id(std::string_view source_queue, std::string_view job_id, std::int64_t finished_on) {
  return fmt::format("{}-{}-{}", source_queue, job_id, finished_on);
}

new_job dead_letter_entry(const job& j, std::string_view source_queue, std::string_view worker_name, std::string reason,
                          json::array traces, std::int64_t finished_on) {
  json::object origin{{"queue", source_queue},
                      {"jobId", j.id},
                      {"name", j.name},
                      {"opts", j.opts.to_json()},
                      {"failedReason", std::move(reason)},
                      {"stacktrace", std::move(traces)},
                      {"attemptsMade", j.attempts_made + 1},
                      {"timestamp", j.timestamp},
                      {"processedOn", j.processed_on ? json::value(*j.processed_on) : json::value(nullptr)},
                      {"finishedOn", finished_on},
                      {"worker", worker_name}};
  json::object data;
  data[dead_letter_data_key] = j.data;
  data[dead_letter_origin_key] = std::move(origin);
  new_job entry{j.name, std::move(data), {}};
  entry.opts.job_id = dead_letter_id(source_queue, j.id, finished_on);
  return entry;
}

}  // namespace drover::detail
