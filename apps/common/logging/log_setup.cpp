// log_setup.cpp - choosing the apps' log format and level.
#include "drover_app/logging/log_setup.hpp"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <drover/error.hpp>

#include "drover_app/ascii.hpp"
#include "drover_app/env.hpp"
#include "drover_app/logging/json_formatter.hpp"
#include "drover_app/logging/redact.hpp"

namespace drover::app {

// Either case: "JSON" and "INFO" are as clear as "json" and "info", and many tools write
// levels in capitals.
log_format parse_log_format(std::string_view name) {
  if (iequals(name, "text")) return log_format::text;
  if (iequals(name, "json")) return log_format::json;
  throw error(errc::invalid_argument, fmt::format("log format must be text or json, got '{}'", name));
}

spdlog::level::level_enum parse_log_level(std::string_view name) {
  if (iequals(name, "warning") || iequals(name, "warn")) return spdlog::level::warn;
  if (iequals(name, "error")) return spdlog::level::err;
  for (auto l : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::err,
                 spdlog::level::critical, spdlog::level::off}) {
    auto n = spdlog::level::to_string_view(l);
    if (iequals(name, std::string_view(n.data(), n.size()))) return l;
  }
  throw error(
      errc::invalid_argument,
      fmt::format("log level must be trace, debug, info, warn (or warning), error, critical or off, got '{}'", name));
}

void configure_logging(log_format format, spdlog::level::level_enum level) {
  std::unique_ptr<spdlog::formatter> f;
  if (format == log_format::json) {
    f = std::make_unique<json_formatter>();
  } else {
    // Time (UTC, as JSON lines write it: a local time without its offset could not be
    // lined up with other logs), level, message; the message on one line, scrubbed.
    f = std::make_unique<scrubbing_formatter>(
        std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc));
  }
  spdlog::set_formatter(std::move(f));
  spdlog::set_level(level);
}

void configure_logging_from(std::string_view format_flag, std::string_view level_flag) {
  add_secrets_from_env();
  std::string_view format = !format_flag.empty() ? format_flag : env("LOG_FORMAT") ? env("LOG_FORMAT") : "text";
  std::string_view level = !level_flag.empty() ? level_flag : env("LOG_LEVEL") ? env("LOG_LEVEL") : "info";
  // A refusal names where the value came from: the flag, or the variable.
  auto named = [](std::string_view from, auto parse, std::string_view text) {
    try {
      return parse(text);
    } catch (const error& e) {
      throw error(errc::invalid_argument, fmt::format("{}: {}", from, e.what()));
    }
  };
  const auto f = named(!format_flag.empty() ? "--log-format" : "LOG_FORMAT", parse_log_format, format);
  const auto l = named(!level_flag.empty() ? "--log-level" : "LOG_LEVEL", parse_log_level, level);
  configure_logging(f, l);
}

}  // namespace drover::app
