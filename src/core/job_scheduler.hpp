// job_scheduler.hpp (internal) - what BullMQ's JobScheduler computes in Node before it calls
// addJobScheduler (a queue's upsert) or updateJobScheduler (a worker taking an iteration);
// the calls themselves are in scripts/add_job_scheduler.hpp and scripts/update_job_scheduler.hpp.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::detail {

// One call of JobScheduler.upsertJobScheduler, in stored form (BullMQ's compressed option
// names; dates in ms).
struct scheduler_request {
  std::string id;
  boost::json::object repeat;  // pattern|every, tz, startDate, endDate, limit, offset, count
  bool immediately = false;    // only a queue's upsert sets it; it is never stored
  std::string name;
  std::string data = "{}";   // JSON text
  boost::json::object opts;  // the job options every iteration gets
};

// The next iteration, when there is one.
struct scheduler_plan {
  std::optional<std::int64_t> next_millis;  // unset for `every`: the script computes it
  boost::json::object job_opts;             // the delayed job's options (stored form)
  boost::json::object scheduler_opts;       // addJobScheduler's ARGV[2]
};

// Pure: std::nullopt when no iteration is due any more (limit reached, past end_date, or
// no cron run before end_date). Throws drover::error(invalid_argument) for a bad pattern or tz.
std::optional<scheduler_plan> plan_next_iteration(const scheduler_request& req, std::int64_t now,
                                                  std::int64_t prev_millis);

// Parses a pattern and finds its zone, to refuse bad ones before anything is written.
// Throws drover::error(invalid_argument).
void cron_pattern_check(std::string_view pattern, std::string_view tz);

// BullMQ 5's repeatable jobs had keys `name:id:endDate:tz:pattern|every`; BullMQ 6 no longer
// runs them (and neither does drover), but tells them apart from schedulers by this shape.
bool has_legacy_repeat_key_shape(std::string_view key);

}  // namespace drover::detail
