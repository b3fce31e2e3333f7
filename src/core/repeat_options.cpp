// repeat_options.cpp - a job scheduler's options and its description, with BullMQ's names.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "core/clock.hpp"
#include "drover/error.hpp"
#include "drover/job_scheduler.hpp"
#include "drover/json.hpp"

namespace json = boost::json;

namespace drover {

namespace {

[[noreturn]] void bad_repeat_option(std::string_view option, std::string_view why) {
  throw error(errc::invalid_argument, fmt::format("invalid repeat option '{}': {}", option, why));
}

std::int64_t repeat_integer(const json::value& v, std::string_view name) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double() && std::floor(v.get_double()) == v.get_double()) return static_cast<std::int64_t>(v.get_double());
  bad_repeat_option(name, "expected an integer, got " + drover::serialize_json(v));
}

// A date as Node's `new Date(x)` takes it: ms since the epoch, or "YYYY-MM-DDTHH:MM:SS[.mmm]Z".
std::int64_t need_date(const json::value& v, std::string_view name) {
  if (!v.is_string()) return repeat_integer(v, name);
  std::string s(v.get_string());
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0, used = 0;
  bool ok = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &sec, &ms, &used) == 7 &&
            used == static_cast<int>(s.size());
  if (!ok) {
    ms = 0;
    ok = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &used) == 6 &&
         used == static_cast<int>(s.size());
  }
  if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31)
    bad_repeat_option(name, "expected ms since the epoch or an ISO 8601 UTC time, got " + s);
  // Days from civil (proleptic Gregorian), then to ms.
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms;
}

}  // namespace

repeat_options repeat_options::from_json(const json::value& v) {
  if (!v.is_object()) throw error(errc::invalid_argument, "repeat options must be a JSON object");
  repeat_options r;
  for (const auto& kv : v.get_object()) {
    std::string_view k = kv.key();
    const auto& val = kv.value();
    if (k == "pattern") {
      if (!val.is_string()) bad_repeat_option(k, "expected a cron expression");
      r.pattern = std::string(val.get_string());
    } else if (k == "every") {
      r.every = repeat_integer(val, k);
    } else if (k == "tz") {
      if (!val.is_string()) bad_repeat_option(k, "expected an IANA time zone name");
      r.tz = std::string(val.get_string());
    } else if (k == "startDate") {
      r.start_date = need_date(val, k);
    } else if (k == "endDate") {
      r.end_date = need_date(val, k);
    } else if (k == "limit") {
      r.limit = repeat_integer(val, k);
    } else if (k == "immediately") {
      if (!val.is_bool()) bad_repeat_option(k, "expected true or false");
      r.immediately = val.get_bool();
    } else if (k == "offset") {
      r.offset = repeat_integer(val, k);
    } else {
      bad_repeat_option(k,
                        "unknown option (expected pattern, every, tz, startDate, endDate, limit, immediately, offset)");
    }
  }
  return r;
}

json::object repeat_options::to_json() const {
  json::object o;
  if (pattern) o["pattern"] = *pattern;
  if (every) o["every"] = *every;
  if (tz) o["tz"] = *tz;
  if (start_date) o["startDate"] = *start_date;
  if (end_date) o["endDate"] = *end_date;
  if (limit) o["limit"] = *limit;
  if (offset) o["offset"] = *offset;
  return o;
}

void repeat_options::validate() const {
  const bool has_pattern = pattern && !pattern->empty();
  if (has_pattern && every) {
    throw error(errc::invalid_argument, "Both .pattern and .every options are defined for this repeatable job");
  }
  if (!has_pattern && !every) {
    throw error(errc::invalid_argument, "Either .pattern or .every options must be defined for this repeatable job");
  }
  if (every && *every <= 0) bad_repeat_option("every", "must be a positive number of ms");
  if (immediately && start_date) {
    throw error(errc::invalid_argument, "Both .immediately and .startDate options are defined for this repeatable job");
  }
  if (end_date && *end_date < detail::now_ms()) {
    throw error(errc::invalid_argument, "End date must be greater than current timestamp");
  }
  if (limit && *limit < 0) bad_repeat_option("limit", "must not be negative");
  if (offset && *offset < 0) bad_repeat_option("offset", "must not be negative");
}

json::object job_scheduler_info::to_json() const {
  json::object o{{"key", key}, {"name", name}};
  o["next"] = next ? json::value(*next) : json::value(nullptr);
  if (iteration_count) o["iterationCount"] = *iteration_count;
  if (limit) o["limit"] = *limit;
  if (start_date) o["startDate"] = *start_date;
  if (end_date) o["endDate"] = *end_date;
  if (tz) o["tz"] = *tz;
  if (pattern) o["pattern"] = *pattern;
  if (every) o["every"] = *every;
  if (offset) o["offset"] = *offset;
  if (template_data || template_opts) {
    json::object t;
    if (template_data) t["data"] = *template_data;
    if (template_opts) t["opts"] = *template_opts;
    o["template"] = std::move(t);
  }
  return o;
}

}  // namespace drover
