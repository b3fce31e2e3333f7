// js_number.cpp - see js_number.hpp.
#include "core/js_number.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace drover {

namespace {
constexpr double safe_limit = 9007199254740992.0;  // 2^53
}  // namespace

std::optional<std::int64_t> as_exact_integer(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < safe_limit) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<double> as_loose_number(const boost::json::value& v) {
  double d = 0;
  if (v.is_double()) {
    d = v.get_double();
  } else if (v.is_int64()) {
    d = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    d = static_cast<double>(v.get_uint64());
  } else if (v.is_string()) {
    std::string_view text = v.get_string();
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<std::int64_t> as_loose_integer(const boost::json::value& v, double (*round)(double)) {
  if (auto i = as_exact_integer(v)) return i;
  const auto d = as_loose_number(v);
  if (!d) return std::nullopt;
  return static_cast<std::int64_t>(std::clamp(round(*d), -safe_limit, safe_limit));
}

}  // namespace drover
