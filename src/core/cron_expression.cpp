// cron_expression.cpp - parsing cron expressions and finding the next matching wall-clock time.
//
// Time zones are not this file's business: it works on local wall-clock times only;
// cron_schedule.cpp maps them to instants, DST included.
#include "core/cron_expression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "drover/error.hpp"

namespace drover::detail {

namespace {

using namespace std::chrono;

struct field_spec {
  const char* name;
  int min, max;
};
constexpr field_spec second_f{"second", 0, 59}, minute_f{"minute", 0, 59}, hour_f{"hour", 0, 23},
    day_f{"day of month", 1, 31}, month_f{"month", 1, 12}, weekday_f{"day of week", 0, 7};

struct alias {
  std::string_view name, expression;
};
constexpr std::array aliases{alias{"@yearly", "0 0 0 1 1 *"},     alias{"@annually", "0 0 0 1 1 *"},
                             alias{"@monthly", "0 0 0 1 * *"},    alias{"@weekly", "0 0 0 * * 0"},
                             alias{"@daily", "0 0 0 * * *"},      alias{"@hourly", "0 0 * * * *"},
                             alias{"@minutely", "0 * * * * *"},   alias{"@secondly", "* * * * * *"},
                             alias{"@weekdays", "0 0 0 * * 1-5"}, alias{"@weekends", "0 0 0 * * 0,6"}};

constexpr std::array<std::string_view, 12> month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> day_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

class parse_error_at {
 public:
  parse_error_at(std::string_view expression, const field_spec& f) : expression_(expression), field_(f) {}
  [[noreturn]] void operator()(std::string_view why) const {
    throw error(errc::invalid_argument,
                fmt::format("invalid cron expression '{}': {} field: {}", expression_, field_.name, why));
  }

 private:
  std::string_view expression_;
  const field_spec& field_;
};

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

std::optional<int> number(std::string_view s) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Month and day names become numbers, as cron-parser replaces every run of three letters.
std::string replace_names(std::string_view raw, const field_spec& f, const parse_error_at& fail) {
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    auto is_alpha = [&](std::size_t k) { return k < raw.size() && std::isalpha(static_cast<unsigned char>(raw[k])); };
    if (is_alpha(i) && is_alpha(i + 1) && is_alpha(i + 2)) {
      std::string name;
      for (int k = 0; k < 3; ++k) name += static_cast<char>(std::tolower(static_cast<unsigned char>(raw[i + k])));
      auto find_in = [&](const auto& names, int base) -> std::optional<int> {
        for (std::size_t n = 0; n < names.size(); ++n) {
          if (names[n] == name) return static_cast<int>(n) + base;
        }
        return std::nullopt;
      };
      auto v = find_in(month_names, 1);
      if (!v) v = find_in(day_names, 0);
      if (!v) fail(fmt::format("unknown name '{}'", name));
      (void)f;
      out += std::to_string(*v);
      i += 3;
    } else {
      out += raw[i++];
    }
  }
  return out;
}

// One comma-separated item: a value, `a-b`, `x/n` or `a-b/n` (`*` already became min-max).
// Calls add(v) for each value; returns false for a non-numeric atom, left to the caller.
template <class Add>
bool expand_item(std::string_view item, const field_spec& f, const parse_error_at& fail, Add add) {
  auto parts = split(item, '/');
  if (parts.size() > 2) fail(fmt::format("invalid step '{}'", item));
  int step = 1;
  std::string_view range = parts[0];
  if (parts.size() == 2) {
    auto s = number(parts[1]);
    if (!s || *s <= 0) fail(fmt::format("invalid step in '{}': must be a positive number", item));
    step = *s;
  }
  auto bounds = split(range, '-');
  if (bounds.size() > 2) fail(fmt::format("invalid range '{}'", range));
  if (bounds.size() == 1 && parts.size() == 1) {
    auto v = number(range);
    if (!v) return false;
    if (*v < f.min || *v > f.max) fail(fmt::format("value {} is outside {}-{}", *v, f.min, f.max));
    add(*v);
    return true;
  }
  auto lo = number(bounds[0]);
  auto hi = bounds.size() == 2 ? number(bounds[1]) : std::optional<int>(f.max);  // `a/n` runs to the end
  if (!lo || !hi) fail(fmt::format("invalid range '{}'", range));
  if (*lo < f.min || *hi > f.max) fail(fmt::format("range {}-{} is outside {}-{}", *lo, *hi, f.min, f.max));
  if (*lo > *hi) fail(fmt::format("invalid range {}-{}: the start is after the end", *lo, *hi));
  for (int v = *lo; v <= *hi; v += step) add(v);
  return true;
}

struct raw_fields {
  std::string_view second, minute, hour, day, month, weekday;
};

bool is_any(std::string_view raw) { return raw == "*" || raw == "?"; }

std::string with_ranges_for_wildcards(std::string_view raw, const field_spec& f) {
  std::string out;
  for (char c : raw) {
    if (c == '*' || c == '?') {
      out += fmt::format("{}-{}", f.min, f.max);
    } else {
      out += c;
    }
  }
  return out;
}

void check_chars(std::string_view raw, std::string_view extra, const parse_error_at& fail) {
  for (char c : raw) {
    if (std::isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '*' || c == '?' || c == '/' || c == '-')
      continue;
    if (extra.find(c) != std::string_view::npos) continue;
    if (c == 'H') fail("hashed values (H) are not supported");
    fail(fmt::format("invalid character '{}'", c));
  }
}

// Adds one list item's values to its field. cron-parser refuses a value that two items
// give ("0,7" and "SUN,7" are Sunday twice, "*/2,10" has 10 twice): with drover taking
// the pattern, Node's worker could not plan its next job and never ran it. One item's own
// range repeats nothing ("0-7" holds Sunday once).
template <std::size_t N>
void add_item(std::bitset<N>& field, const std::bitset<N>& item, const parse_error_at& fail) {
  const auto twice = field & item;
  for (std::size_t v = 0; v < N; ++v) {
    if (twice.test(v)) fail(fmt::format("duplicate values found: {}", v));
  }
  field |= item;
}

template <std::size_t N>
void parse_simple(std::string_view raw, const field_spec& f, std::string_view expression, std::bitset<N>& bits) {
  parse_error_at fail(expression, f);
  std::string text = (&f == &month_f) ? replace_names(raw, f, fail) : std::string(raw);
  check_chars(text, "", fail);
  text = with_ranges_for_wildcards(text, f);
  for (auto item : split(text, ',')) {
    if (item.empty()) fail("empty list item");
    std::bitset<N> values;
    if (!expand_item(item, f, fail, [&](int v) { values.set(static_cast<std::size_t>(v)); })) {
      fail(fmt::format("invalid value '{}'", item));
    }
    add_item(bits, values, fail);
  }
}

}  // namespace

cron_expression cron_expression::parse(std::string_view expression) {
  std::string_view text = expression;
  for (const auto& a : aliases) {
    if (a.name == expression) text = a.expression;
  }
  if (text.empty()) text = "0 * * * * *";
  std::vector<std::string_view> atoms;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) atoms.push_back(text.substr(i, j - i));
    i = j;
  }
  if (atoms.size() > 6) {
    throw error(errc::invalid_argument, fmt::format("invalid cron expression '{}': too many fields", expression));
  }
  if (atoms.empty()) throw error(errc::invalid_argument, "invalid cron expression: no fields");
  constexpr std::array<std::string_view, 6> defaults{"0", "*", "*", "*", "*", "*"};
  std::vector<std::string_view> all(defaults.begin(), defaults.begin() + static_cast<long>(6 - atoms.size()));
  all.insert(all.end(), atoms.begin(), atoms.end());
  raw_fields raw{all[0], all[1], all[2], all[3], all[4], all[5]};

  cron_expression c;
  parse_simple(raw.second, second_f, expression, c.seconds_);
  parse_simple(raw.minute, minute_f, expression, c.minutes_);
  parse_simple(raw.hour, hour_f, expression, c.hours_);
  parse_simple(raw.month, month_f, expression, c.months_);

  // Day of month: numbers and `L`.
  {
    parse_error_at fail(expression, day_f);
    check_chars(raw.day, "L", fail);
    c.any_day_of_month_ = is_any(raw.day);
    auto text_day = with_ranges_for_wildcards(raw.day, day_f);
    for (auto item : split(text_day, ',')) {
      if (item.empty()) fail("empty list item");
      if (item == "L") {
        c.last_day_ = true;
        continue;
      }
      decltype(c.days_) values;
      if (!expand_item(item, day_f, fail, [&](int v) { values.set(static_cast<std::size_t>(v)); })) {
        fail(fmt::format("invalid value '{}'", item));
      }
      add_item(c.days_, values, fail);
    }
    // cron-parser refuses explicit days that no chosen month has (February counts 29 days).
    if (!c.any_day_of_month_ && !c.last_day_) {
      static constexpr std::array<int, 13> longest{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      bool possible = false;
      for (int m = 1; m <= 12; ++m) {
        for (int d = 1; d <= longest[static_cast<std::size_t>(m)]; ++d) {
          possible =
              possible || (c.months_.test(static_cast<std::size_t>(m)) && c.days_.test(static_cast<std::size_t>(d)));
        }
      }
      if (!possible) fail("no chosen month has these days");
    }
  }

  // Day of week: numbers, names, `<d>L`, `<d>#<n>`.
  {
    parse_error_at fail(expression, weekday_f);
    c.any_day_of_week_ = is_any(raw.weekday);
    std::string text_wd = replace_names(raw.weekday, weekday_f, fail);
    check_chars(text_wd, "L#", fail);
    if (auto hash = text_wd.find('#'); hash != std::string::npos) {
      if (text_wd.find_first_of(",-/") != std::string::npos) fail("'#' cannot be combined with ',', '-' or '/'");
      auto day = number(std::string_view(text_wd).substr(0, hash));
      auto nth = number(std::string_view(text_wd).substr(hash + 1));
      if (!day || *day < 0 || *day > 7) fail(fmt::format("invalid weekday in '{}'", text_wd));
      if (!nth || *nth < 1 || *nth > 5) fail("the occurrence after '#' must be 1 to 5");
      c.weekdays_.set(static_cast<std::size_t>(*day % 7));
      c.nth_ = *nth;
    } else {
      text_wd = with_ranges_for_wildcards(text_wd, weekday_f);
      for (auto item : split(text_wd, ',')) {
        if (item.empty()) fail("empty list item");
        if (item.size() == 2 && item[1] == 'L' && item[0] >= '0' && item[0] <= '7') {
          c.last_weekdays_.set(static_cast<std::size_t>((item[0] - '0') % 7));
          continue;
        }
        if (item.find('L') != std::string_view::npos) fail(fmt::format("'L' must follow one weekday, got '{}'", item));
        decltype(c.weekdays_) values;
        if (!expand_item(item, weekday_f, fail, [&](int v) { values.set(static_cast<std::size_t>(v % 7)); })) {
          fail(fmt::format("invalid value '{}'", item));
        }
        add_item(c.weekdays_, values, fail);
      }
    }
  }
  return c;
}

bool cron_expression::day_matches(const date::year_month_day& ymd) const {
  const unsigned day = static_cast<unsigned>(ymd.day());
  const auto last =
      static_cast<unsigned>(date::year_month_day_last(ymd.year(), date::month_day_last(ymd.month())).day());
  const unsigned wd = date::weekday(ymd).c_encoding();
  const bool dom = days_.test(day) || (last_day_ && day == last);
  bool dow = weekdays_.test(wd) && (nth_ == 0 || (day + 6) / 7 == static_cast<unsigned>(nth_));
  // `<d>L`: the weekday falls in the last seven days of the month.
  if (last_weekdays_.any() && day + 7 > last) dow = dow || last_weekdays_.test(wd) || weekdays_.test(wd);
  if (!any_day_of_month_ && !any_day_of_week_) return dom || dow;
  if (!any_day_of_month_) return dom;
  if (!any_day_of_week_) return dow;
  return true;
}

bool cron_expression::allows(time_field field, int value) const {
  const auto v = static_cast<std::size_t>(value);
  switch (field) {
    case time_field::second:
      return seconds_.test(v);
    case time_field::minute:
      return minutes_.test(v);
    case time_field::hour:
      return hours_.test(v);
  }
  return false;
}

std::optional<int> cron_expression::next_above(time_field field, int value) const {
  const int end = field == time_field::hour ? 24 : 60;
  for (int v = value + 1; v < end; ++v) {
    if (allows(field, v)) return v;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> cron_expression::first_time_from(seconds tod) const {
  const auto from_h = static_cast<int>(tod.count() / 3600);
  const auto from_m = static_cast<int>(tod.count() / 60 % 60);
  const auto from_s = static_cast<int>(tod.count() % 60);
  for (int h = from_h; h < 24; ++h) {
    if (!hours_.test(static_cast<std::size_t>(h))) continue;
    for (int m = h == from_h ? from_m : 0; m < 60; ++m) {
      if (!minutes_.test(static_cast<std::size_t>(m))) continue;
      for (int s = (h == from_h && m == from_m) ? from_s : 0; s < 60; ++s) {
        if (seconds_.test(static_cast<std::size_t>(s))) return seconds(h * 3600 + m * 60 + s);
      }
    }
  }
  return std::nullopt;
}

std::optional<date::local_seconds> cron_expression::next_wall(date::local_seconds from,
                                                              date::local_seconds limit) const {
  auto day = date::floor<date::days>(from);
  seconds tod = from - day;
  while (day < limit) {
    date::year_month_day ymd(day);
    if (!months_.test(static_cast<unsigned>(ymd.month()))) {
      auto first_of_next = date::year_month_day(ymd.year() / ymd.month() / 1) + date::months(1);
      day = date::local_days(first_of_next);
      tod = seconds(0);
      continue;
    }
    if (day_matches(ymd)) {
      if (auto t = first_time_from(tod)) {
        auto at = day + *t;
        if (at < limit) return at;
        return std::nullopt;
      }
    }
    day += date::days(1);
    tod = seconds(0);
  }
  return std::nullopt;
}

}  // namespace drover::detail
