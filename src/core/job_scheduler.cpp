// job_scheduler.cpp - the next iteration of a job scheduler, computed as BullMQ's JobScheduler
// computes it in Node (the scripts that store it: scripts/add_job_scheduler.hpp and
// scripts/update_job_scheduler.hpp).
#include "core/job_scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/cron_schedule.hpp"
#include "core/js_number.hpp"
#include "drover/error.hpp"

namespace json = boost::json;

namespace drover::detail {

namespace {

// A number, or text that is one: Node's scheduler does arithmetic on what its user gave.
std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  return as_loose_integer(*v, [](double d) { return std::trunc(d); });
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->get_string().empty()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

std::optional<scheduler_plan> plan_next_iteration(const scheduler_request& req, std::int64_t now,
                                                  std::int64_t prev_millis) {
  const auto& r = req.repeat;
  const auto every = int_field(r, "every");
  const auto pattern = string_field(r, "pattern");
  const auto count = int_field(r, "count");
  const std::int64_t iteration = count && *count ? *count + 1 : 1;
  if (auto limit = int_field(r, "limit"); limit && iteration > *limit) return std::nullopt;
  const auto end_date = int_field(r, "endDate");
  if (end_date && *end_date && now > *end_date) return std::nullopt;
  const std::int64_t wall_now = now;
  now = std::max(now, prev_millis);

  scheduler_plan plan;
  if (pattern) {
    if (req.immediately) {
      plan.next_millis = now;
    } else {
      // cron-parser counts from startDate when that is later, and stops at endDate.
      auto from = std::max(now, int_field(r, "startDate").value_or(0));
      auto expr = cron_expression::parse(*pattern);
      auto next = next_cron_run(expr, find_time_zone(string_field(r, "tz").value_or("")), from);
      if (!next || (end_date && *end_date && *next > *end_date)) return std::nullopt;
      plan.next_millis = std::max(*next, now);
    }
  } else if (!every) {
    throw error(errc::invalid_argument, "Either .pattern or .every options must be defined for this repeatable job");
  }
  const auto offset = every ? int_field(r, "offset").value_or(0) : 0;

  // The job's repeat options: the scheduler's, with offset, count and dates in ms.
  json::object repeat = r;
  if (every && offset) {
    repeat["offset"] = offset;
  } else {
    repeat.erase("offset");
  }
  repeat["count"] = iteration;

  plan.job_opts = req.opts;
  plan.job_opts["repeat"] = std::move(repeat);
  plan.job_opts["jobId"] =
      fmt::format("repeat:{}:{}", req.id, plan.next_millis ? std::to_string(*plan.next_millis) : "");
  plan.job_opts["delay"] = plan.next_millis ? std::max<std::int64_t>(0, *plan.next_millis - wall_now) : 0;
  plan.job_opts["timestamp"] = wall_now;
  if (plan.next_millis) {
    plan.job_opts["prevMillis"] = *plan.next_millis;
  } else {
    plan.job_opts.erase("prevMillis");
  }
  plan.job_opts["repeatJobKey"] = req.id;

  auto& s = plan.scheduler_opts;
  s["name"] = req.name;
  for (const char* k : {"startDate", "endDate"}) {
    if (auto v = int_field(r, k); v && *v) s[k] = *v;
  }
  if (auto tz = string_field(r, "tz")) s["tz"] = *tz;
  if (pattern) s["pattern"] = *pattern;
  if (every) s["every"] = *every;
  if (auto limit = int_field(r, "limit")) s["limit"] = *limit;
  if (every && offset) s["offset"] = offset;
  return plan;
}

void cron_pattern_check(std::string_view pattern, std::string_view tz) {
  (void)cron_expression::parse(pattern);
  (void)find_time_zone(tz);
}

bool has_legacy_repeat_key_shape(std::string_view key) {
  // name:id:endDate:tz:suffix, endDate empty or digits, suffix a cron pattern or digits.
  std::size_t colons[4];
  std::size_t from = 0;
  for (auto& c : colons) {
    c = key.find(':', from);
    if (c == std::string_view::npos) return false;
    from = c + 1;
  }
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  auto end_date = key.substr(colons[1] + 1, colons[2] - colons[1] - 1);
  if (!end_date.empty() && !digits(end_date)) return false;
  auto suffix = key.substr(colons[3] + 1);
  if (suffix.empty()) return false;
  return suffix.find(' ') != std::string_view::npos || digits(suffix);
}

}  // namespace drover::detail
