// repeat_options.cpp - a job scheduler's options and its description, with BullMQ's names.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
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
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  // Within int64 before the cast, which is undefined beyond it (1e20 became INT64_MIN).
  if (v.is_double() && std::floor(v.get_double()) == v.get_double() && std::fabs(v.get_double()) < 9.2e18) {
    return static_cast<std::int64_t>(v.get_double());
  }
  bad_repeat_option(name, "expected an integer, got " + drover::serialize_json(v));
}

// JavaScript's Date holds ms within this of the epoch; Node refuses a date beyond it.
constexpr std::int64_t js_date_limit_ms = 8'640'000'000'000'000;

// The digits text[at, at + n) as a number, or -1 when one is not a digit.
int digits_at(std::string_view text, std::size_t at, std::size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// A date as Node's `new Date(x)` takes it: ms since the epoch, or
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (a fraction of any number of digits, read as a
// fraction: ".5" is 500 ms). Beyond JavaScript's date range, or a time of day out of its
// range ("T99:99:99Z"), it is refused, as Node's Invalid Date is (a nanosecond timestamp
// was taken, and made a daily schedule fire at once).
std::int64_t need_date(const json::value& v, std::string_view name) {
  if (!v.is_string()) {
    const auto ms = repeat_integer(v, name);
    if (ms > js_date_limit_ms || ms < -js_date_limit_ms) {
      bad_repeat_option(name, fmt::format("{} ms is beyond the dates JavaScript can hold (8.64e15 ms from 1970: a "
                                          "timestamp in ms, not ns?)",
                                          ms));
    }
    return ms;
  }
  const std::string_view s = v.get_string();
  const int y = digits_at(s, 0, 4), mo = digits_at(s, 5, 2), d = digits_at(s, 8, 2);
  const int h = digits_at(s, 11, 2), mi = digits_at(s, 14, 2), sec = digits_at(s, 17, 2);
  bool ok = s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
            s.back() == 'Z' && y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 &&
            mi <= 59 && sec >= 0 && sec <= 59;
  int ms = 0;
  if (ok && s.size() > 20) {
    // ".<digits>Z": the first three digits are the ms, padded on the right.
    const auto fraction = s.substr(20, s.size() - 21);
    ok = s[19] == '.' && !fraction.empty() &&
         std::all_of(fraction.begin(), fraction.end(), [](char c) { return c >= '0' && c <= '9'; });
    for (std::size_t i = 0; ok && i < 3; ++i) ms = ms * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  } else if (ok) {
    ok = s[19] == 'Z';
  }
  if (!ok) bad_repeat_option(name, "expected ms since the epoch or an ISO 8601 UTC time, got " + std::string(s));
  // Days from civil (proleptic Gregorian), then to ms.
  const int yy = y - (mo <= 2);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
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
