// rate_limit.cpp - parsing "<count>/<unit>,<burst>" limits and reading them from RATE_LIMIT_*.
#include "api/rate_limit.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace drover::api {

namespace {

std::int64_t whole_number(std::string_view setting, std::string_view what, std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0 || v > 1'000'000'000) {
    throw std::invalid_argument(
        fmt::format("{}: {} must be a whole number from 0 to 1000000000, got '{}'", setting, what, text));
  }
  return v;
}

}  // namespace

rate_limit rate_limit::parse(std::string_view setting, std::string_view text) {
  if (text == "0" || text == "off") return {};
  const auto slash = text.find('/');
  const auto comma = text.find(',');
  if (slash == std::string_view::npos || comma == std::string_view::npos || comma < slash) {
    throw std::invalid_argument(
        fmt::format("{} must be '<count>/<s|m|h>,<burst>' (e.g. '2/s,10'), '0' or 'off', got '{}'", setting, text));
  }
  const auto count = whole_number(setting, "the count", text.substr(0, slash));
  const auto unit = text.substr(slash + 1, comma - slash - 1);
  double seconds = 0;
  if (unit == "s") {
    seconds = 1;
  } else if (unit == "m") {
    seconds = 60;
  } else if (unit == "h") {
    seconds = 3600;
  } else {
    throw std::invalid_argument(fmt::format("{}: the unit must be s, m or h, got '{}'", setting, unit));
  }
  const auto burst = whole_number(setting, "the burst", text.substr(comma + 1));
  // "0/s,10" read as "off" switched a protection off silently (an operator review):
  // the only ways to say so are "0" and "off".
  if (count == 0)
    throw std::invalid_argument(fmt::format("{}: the count must be at least 1 (or the limit '0' or 'off')", setting));
  if (burst == 0)
    throw std::invalid_argument(fmt::format("{}: the burst must be at least 1 (or the limit 'off')", setting));
  return rate_limit{static_cast<double>(count) / seconds, burst};
}

std::string rate_limit::describe() const {
  if (!enabled()) return "off";
  if (per_second >= 1) return fmt::format("{:g}/s,{}", per_second, burst);
  if (per_second * 60 >= 1) return fmt::format("{:g}/m,{}", per_second * 60, burst);
  return fmt::format("{:g}/h,{}", per_second * 3600, burst);
}

rate_limits rate_limits::from_env() {
  rate_limits r;
  auto read = [](const char* name, rate_limit& into) {
    const char* v = std::getenv(name);
    if (v && *v) into = rate_limit::parse(name, v);
  };
  read("RATE_LIMIT_SEND_USER", r.send_per_user);
  read("RATE_LIMIT_SEND_ADDRESS", r.send_per_address);
  read("RATE_LIMIT_UPLOAD_USER", r.upload_per_user);
  read("RATE_LIMIT_UPLOAD_ADDRESS", r.upload_per_address);
  read("RATE_LIMIT_CONVERSATION_USER", r.conversation_per_user);
  return r;
}

}  // namespace drover::api
