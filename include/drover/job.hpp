// job.hpp - a job as it is stored in its Redis hash.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drover/job_options.hpp"

namespace drover {

// A snapshot of one job. It is a value: changing it changes nothing in Redis;
// use queue (or the processor's job_context) to act on the job.
struct job {
  std::string id{};
  std::string name{};
  boost::json::value data{};  // the payload
  job_options opts{};
  boost::json::value progress = 0;
  std::int64_t timestamp = 0;  // ms, when it was created
  std::int64_t delay = 0;      // ms
  std::int64_t priority = 0;
  std::int64_t attempts_made = 0;
  std::int64_t attempts_started = 0;
  std::int64_t stalled_counter = 0;
  std::optional<std::int64_t> processed_on{};
  std::optional<std::int64_t> finished_on{};
  boost::json::value returnvalue{};  // null until it completes
  std::optional<std::string> failed_reason{};
  std::vector<std::string> stacktrace{};
  std::optional<std::string> deferred_failure{};  // set by the stalled check: fail without running
  std::optional<std::string> processed_by{};
  std::optional<std::string> parent_key{};
  boost::json::value parent{};
  std::optional<std::string> repeat_job_key{};
  std::optional<std::string> deduplication_id{};
  // A cancellation request left by queue::cancel (JSON {"reason", "at"}), not yet acted on.
  std::optional<std::string> cancel_requested{};

  // Builds a job from HGETALL's field/value list. Fields that are not valid JSON
  // where JSON is expected are kept as strings rather than refused.
  static job from_hash(std::string id, const std::vector<std::string>& fields_and_values);

  // The job as Node's job.toJSON() shows it (camelCase names).
  boost::json::object to_json() const;

  // When the first attempt could first run: its creation plus the delay it was added with
  // (BullMQ sets the stored delay to 0 once a delayed job comes due; its opts keep it).
  std::int64_t first_due_ms() const;
  // How long the first attempt waited past first_due_ms() to start; std::nullopt before
  // it started, and once a later attempt started (a retry's or a stalled job's due time is
  // not kept: counting from creation made a scheduled or retried job's wait its delay).
  std::optional<std::int64_t> first_wait_ms() const;
};

}  // namespace drover
