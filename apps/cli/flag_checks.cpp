// flag_checks.cpp - the shared flag checks: parse the text as CLI11 will, and say in
// one phrase what was wanted and what was given.
#include "flag_checks.hpp"

#include <drover/redis_options.hpp>

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include <drover/error.hpp>
#include <drover_app/env.hpp>
#include <drover_app/utf8.hpp>

namespace drover::cli {

namespace {

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
  return v;
}

// The text of the check's failure, empty when `text` is a number in [min, max].
// `type_limit`: `max` is only what the flag's type holds, so name it apart ("at most").
std::string check_integer(std::string_view text, std::int64_t min, std::int64_t max, const std::string& kind,
                          bool type_limit) {
  auto v = whole_number(text);
  if (v && *v >= min && *v <= max) return {};
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (type_limit && digits && !(v && *v < min)) return fmt::format("must be at most {}, got {}", max, text);
  return fmt::format("must be {}, got {}", kind, text.empty() ? std::string_view("nothing") : text);
}

}  // namespace

CLI::Validator integer_in(std::int64_t min, std::int64_t max, std::string kind, bool type_limit) {
  return CLI::Validator(
      [min, max, kind, type_limit](std::string& input) { return check_integer(input, min, max, kind, type_limit); }, "",
      kind);
}

CLI::Validator duration_ms(std::int64_t min) {
  return integer_in(min, app::max_setting_ms,
                    fmt::format("a number of milliseconds from {} to {} (30 days)", min, app::max_setting_ms));
}

CLI::Validator port_number() { return integer_in(1, 65535, "a port number from 1 to 65535"); }

CLI::Validator non_empty() {
  return CLI::Validator([](std::string& input) -> std::string { return input.empty() ? "must not be empty" : ""; }, "",
                        "non-empty");
}

CLI::Validator utf8_text() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        return app::is_utf8(input) ? "" : "must be UTF-8 text (check the terminal's encoding)";
      },
      "", "UTF-8");
}

CLI::Validator redis_url() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        if (input.empty()) return "must not be empty";
        try {
          (void)redis_options::from_url(input);
        } catch (const std::exception& e) {
          return e.what();
        }
        return "";
      },
      "", "redis-url");
}

CLI::Validator queue_name() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        if (input.empty()) return "must not be empty";
        if (input.find(':') != std::string::npos) return "a queue name cannot contain ':' (BullMQ's key separator)";
        return "";
      },
      "", "queue-name");
}

CLI::Validator stream_id() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        const auto part = [](std::string_view digits) {
          std::uint64_t v = 0;
          const auto* end = digits.data() + digits.size();
          auto [p, ec] = std::from_chars(digits.data(), end, v);
          return !digits.empty() && ec == std::errc() && p == end;
        };
        const std::string_view text = input;
        const auto dash = text.find('-');
        const bool ok =
            text == "$" ||
            (dash == std::string_view::npos ? part(text) : part(text.substr(0, dash)) && part(text.substr(dash + 1)));
        if (ok) return {};
        return fmt::format("must be $, 0, <ms> or <ms>-<seq> (a \"streamId\" printed before), got {}",
                           text.empty() ? std::string_view("nothing") : text);
      },
      "", "stream id");
}

CLI::Validator one_of(std::vector<std::string> words) {
  auto description = fmt::format("{{{}}}", fmt::join(words, ","));
  return CLI::Validator(
      [words = std::move(words)](std::string& input) -> std::string {
        if (std::find(words.begin(), words.end(), input) != words.end()) return {};
        return fmt::format("must be one of {}; got '{}'", fmt::join(words, ", "), input);
      },
      description, "one of");
}

std::uint16_t parse_port(std::string_view text, std::string_view what) {
  auto problem = check_integer(text, 1, 65535, "a port number from 1 to 65535", false);
  if (!problem.empty()) throw error(errc::invalid_argument, fmt::format("{}: {}", what, problem));
  return static_cast<std::uint16_t>(*whole_number(text));
}

}  // namespace drover::cli
