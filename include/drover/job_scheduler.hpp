// job_scheduler.hpp - repeatable jobs: a job scheduler makes a new job on a cron pattern or
// at a fixed interval, laid out in Redis as BullMQ 6.7.0's job schedulers.
//
// A scheduler is stored as an entry of the queue's `repeat` sorted set (score: the time of
// its next job) and a hash `repeat:<id>` (name, pattern or every, tz, limit, startDate,
// endDate, offset, template data and options, iteration count `ic`). Its next job waits as
// a delayed job `repeat:<id>:<ms>`; when a worker (drover's or Node's) takes that job it
// adds the following one, so a schedule runs for as long as any worker serves the queue.
// Use queue::upsert_job_scheduler and friends (queue.hpp).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "drover/job_options.hpp"

namespace drover {

// When a scheduler makes jobs: exactly one of `pattern` and `every`.
struct repeat_options {
  // A cron expression, 5 or 6 fields (seconds first), as Node's cron-parser reads it;
  // see docs/schedules.md for what is supported.
  std::optional<std::string> pattern{};
  std::optional<std::int64_t> every{};       // ms between jobs
  std::optional<std::string> tz{};           // IANA zone of the pattern; unset: the local zone
  std::optional<std::int64_t> start_date{};  // ms since the epoch: no job before
  std::optional<std::int64_t> end_date{};    // ms since the epoch: no job after
  std::optional<std::int64_t> limit{};       // at most this many jobs
  bool immediately = false;                  // pattern: the first job runs now
  std::optional<std::int64_t> offset{};      // every: ms after each multiple of `every`

  // Reads BullMQ's names: {pattern, every, tz, startDate, endDate, limit, immediately,
  // offset}; dates as ms or ISO 8601 strings. Throws drover::error(invalid_argument).
  static repeat_options from_json(const boost::json::value& v);
  boost::json::object to_json() const;
  // The checks BullMQ makes before storing; throws drover::error(invalid_argument).
  void validate() const;
};

// What each job of a scheduler is made from.
struct job_template {
  std::optional<std::string> name{};  // unset: the scheduler's id
  boost::json::value data = boost::json::object();
  job_options opts{};  // jobId, delay and repeat are the scheduler's own
};

// A scheduler as queue::get_job_schedulers reports it (Node's getJobSchedulers()).
struct job_scheduler_info {
  std::string key{};                   // the scheduler's id
  std::string name{};                  // the name of the jobs it makes
  std::optional<std::int64_t> next{};  // ms: when its next job is due
  std::optional<std::int64_t> iteration_count{}, limit{}, start_date{}, end_date{}, every{}, offset{};
  std::optional<std::string> tz{}, pattern{};
  std::optional<boost::json::value> template_data{};   // the template's data, if not {}
  std::optional<boost::json::object> template_opts{};  // the template's options (public names)

  // As Node shows it: {key, name, next, iterationCount, limit, startDate, endDate, tz,
  // pattern, every, offset, template: {data, opts}}, unset fields left out.
  boost::json::object to_json() const;
};

}  // namespace drover
