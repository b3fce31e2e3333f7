// admin_views.hpp - how the admin API shows jobs: list rows, durations, search matches.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

#include <drover/job.hpp>

namespace drover::api {

// One row of a jobs list: what a table shows, without data, options or stack traces
// (a failed reason is cut at 300 characters), with the first attempt's waitTime.
boost::json::object job_row(const job& j);

// waitTime (the first attempt's, job::first_wait_ms) and processingTime (picked up ->
// finished), in ms; null when the job has not reached that point (or, for waitTime, a
// later attempt started).
void add_durations(boost::json::object& o, const job& j);

// Whether a job's id or name contains `needle_lower` (already lower-case).
bool job_matches(const job& j, std::string_view needle_lower);

std::string lower(std::string_view s);

}  // namespace drover::api
