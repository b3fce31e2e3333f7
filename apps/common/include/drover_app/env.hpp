// env.hpp - reading the apps' settings from the environment, with errors that name them.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <string_view>

#include <drover/error.hpp>

#include "drover_app/ascii.hpp"

namespace drover::app {

// The variable's value, or nullptr when it is unset or empty (empty means "default").
inline const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

// env(name) for a value used exactly as written: one that begins or ends with white space
// is refused, naming the setting (surrounding_space_refusal).
inline const char* env_exact(const char* name) {
  const char* v = env(name);
  if (!v) return v;
  if (auto why = surrounding_space_refusal(name, v); !why.empty()) throw error(errc::invalid_argument, why);
  return v;
}

// `text` as a whole number in [min, max]; throws drover::error(invalid_argument) naming
// the setting otherwise.
template <class Int>
Int env_number(const char* name, std::string_view text, Int min = std::numeric_limits<Int>::min(),
               Int max = std::numeric_limits<Int>::max()) {
  Int v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max) {
    throw error(errc::invalid_argument,
                fmt::format("{} must be a number from {} to {}, got '{}'", name, min, max, text));
  }
  return v;
}

// The address a listener binds when its variable (BIND, WORKERS_BIND) is unset: every
// interface in production, loopback only in the development mode (AUTH_MODE=none), which
// has no authentication and must not be reachable from the network by accident.
inline const char* default_bind(bool development) { return development ? "127.0.0.1" : "0.0.0.0"; }

// The longest duration a setting may give: 30 days, past any sensible timeout or
// interval and far from where a timer's deadline (now plus it, in nanoseconds) overflows.
// An operator review set AI_TIMEOUT_MS to 2^63 - 1: the deadline wrapped into the past and
// every model call timed out at once.
inline constexpr long long max_setting_ms = 30LL * 24 * 3600 * 1000;

// A duration in milliseconds from `min` (0 by default: by convention, none) to 30 days.
inline std::chrono::milliseconds env_ms(const char* name, std::string_view text, long long min = 0) {
  return std::chrono::milliseconds(env_number<long long>(name, text, min, max_setting_ms));
}

// A yes/no setting, spelled as REDIS_TLS is: yes, true, 1 or on; no, false, 0 or off.
// Throws drover::error(invalid_argument) naming the setting otherwise: a typo must not
// leave a feature on (an operator review: DEAD_LETTERS=no kept dead letters).
inline bool env_bool(const char* name, std::string_view text) {
  for (std::string_view yes : {"yes", "true", "1", "on"}) {
    if (text == yes) return true;
  }
  for (std::string_view no : {"no", "false", "0", "off"}) {
    if (text == no) return false;
  }
  throw error(errc::invalid_argument,
              fmt::format("{} must be yes or no (or true/false, 1/0, on/off), got '{}'", name, text));
}

// AUTH_MODE, read the same way by the API and the Workers app: false for jwt (the
// default), true for none (development). Throws drover::error(invalid_argument) for
// anything else.
inline bool development_auth_mode() {
  const char* v = env("AUTH_MODE");
  if (!v || std::string_view(v) == "jwt") return false;
  if (std::string_view(v) == "none") return true;
  throw error(errc::invalid_argument, fmt::format("AUTH_MODE must be jwt or none (got '{}')", v));
}

}  // namespace drover::app
