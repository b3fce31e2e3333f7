// flag_checks.hpp - the checks `drover` flags share: whole numbers in a range, port
// numbers, one of a list of words. Each failure reads "--flag: must be ..., got X"
// (CLI11 puts the flag's name first), never CLI11's own range text.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace drover::cli {

// A whole number from `min` to `max`, in decimal; `kind` says what is wanted in the
// message ("an integer from 100 to 60000"). With `type_limit`, `max` is only the most
// the flag's type holds, and a number above it is told "must be at most <max>".
CLI::Validator integer_in(std::int64_t min, std::int64_t max, std::string kind, bool type_limit = false);

// The largest value of T that also fits an int64.
template <class T>
constexpr std::int64_t max_of() {
  using common = std::common_type_t<std::uintmax_t, std::make_unsigned_t<T>>;
  return static_cast<std::int64_t>(std::min<common>(std::numeric_limits<T>::max(), INT64_MAX));
}

// 1 or more (and no more than T holds): counts, durations in ms that must not be 0.
template <class T>
CLI::Validator positive() {
  return integer_in(1, max_of<T>(), "a positive integer", true);
}

// 0 or more: limits where 0 means "none".
template <class T>
CLI::Validator non_negative() {
  return integer_in(0, max_of<T>(), "a non-negative integer", true);
}

// A duration in milliseconds from `min` to 30 days (drover_app/env.hpp's max_setting_ms,
// as for the apps' variables): a larger one overflowed its deadline into the past (a
// shutdown grace of 10^13 ms handed the jobs back at once: a configuration review).
CLI::Validator duration_ms(std::int64_t min);

// A TCP port to listen on, 1 to 65535 (0, "any free port", is refused: the apps print
// the port they listen on only in their log).
CLI::Validator port_number();

// Any text but the empty one: an id given as "" (an unset shell variable) must not read
// as "no id", which for some actions means "every job".
CLI::Validator non_empty();

// Text in UTF-8: what a job stores as text (its name) must be, as Node's strings always
// are (a Latin-1 terminal's "Größe" was stored as raw bytes, which `drover job` and the
// dashboard then printed as invalid JSON).
CLI::Validator utf8_text();

// A Redis URL redis_options::from_url reads (a usage error, exit 2, rather than a
// failure to connect, exit 1: `--redis http://foo`).
CLI::Validator redis_url();

// A queue name BullMQ takes: not empty, no ':' (which would break the key layout).
CLI::Validator queue_name();

// A Redis stream id to read after, as XREAD takes it: "$" (only what comes next), or
// "<ms>" or "<ms>-<seq>" in decimal, each part fitting 64 bits ("0": from the start).
CLI::Validator stream_id();

// One of `words`; the message lists them. Its description, "{a,b}", is what the
// completion scripts offer (completion.cpp).
CLI::Validator one_of(std::vector<std::string> words);

// Parses `text` (an environment variable's value) as a port 1-65535; throws
// drover::error (invalid_argument) naming `what` ("DASHBOARD_PORT") otherwise.
std::uint16_t parse_port(std::string_view text, std::string_view what);

}  // namespace drover::cli
