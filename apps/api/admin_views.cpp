// admin_views.cpp - the admin API's views of jobs.
#include "api/admin_views.hpp"

#include <algorithm>
#include <cctype>

namespace json = boost::json;

namespace drover::api {

json::object job_row(const job& j) {
  json::object o;
  o["id"] = j.id;
  o["name"] = j.name;
  o["timestamp"] = j.timestamp;
  o["delay"] = j.delay;
  o["priority"] = j.priority;
  o["attemptsMade"] = j.attempts_made;
  o["progress"] = j.progress;
  o["processedOn"] = j.processed_on ? json::value(*j.processed_on) : json::value(nullptr);
  o["finishedOn"] = j.finished_on ? json::value(*j.finished_on) : json::value(nullptr);
  std::string reason = j.failed_reason.value_or("");
  if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
  o["failedReason"] = reason.empty() ? json::value(nullptr) : json::value(reason);
  const auto waited = j.first_wait_ms();  // the dashboard's waiting percentiles
  o["waitTime"] = waited ? json::value(*waited) : json::value(nullptr);
  return o;
}

void add_durations(json::object& o, const job& j) {
  const auto waited = j.first_wait_ms();
  o["waitTime"] = waited ? json::value(*waited) : json::value(nullptr);
  o["processingTime"] =
      j.processed_on && j.finished_on ? json::value(*j.finished_on - *j.processed_on) : json::value(nullptr);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool job_matches(const job& j, std::string_view needle_lower) {
  return lower(j.id).find(needle_lower) != std::string::npos || lower(j.name).find(needle_lower) != std::string::npos;
}

}  // namespace drover::api
