// queue_limits.cpp - a queue's global concurrency and rate limit, its manual rate-limit
// pause, and what its meta hash holds: the fields BullMQ's scripts read, written and
// read as Node's Queue does.
#include <drover/queue.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/queue_impl.hpp"
#include "core/rate_limit_key.hpp"
#include "core/scripts/get_counts_per_priority.hpp"
#include "core/scripts/is_maxed.hpp"
#include "drover/error.hpp"
#include "redis/command.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

// A meta field as a number; std::nullopt when absent or not a whole number (Node's
// Number() would give NaN: treated as not set).
std::optional<std::int64_t> number_field(const redis::reply& r) {
  if (r.is_nil()) return std::nullopt;
  const std::string s = r.as_string();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

void check_positive(std::int64_t v, const char* what) {
  if (v < 1) throw error(errc::invalid_argument, fmt::format("{} must be at least 1, not {}", what, v));
}

}  // namespace

net::awaitable<void> queue::set_global_concurrency(std::int64_t concurrency) {
  check_positive(concurrency, "global concurrency");
  co_await detail::write_version_once(*impl_);  // a queue first made here is Node's too
  redis::command set{"HSET", impl_->keys.meta, "concurrency"};
  set.push(concurrency);
  auto r = co_await impl_->conn->exec(std::move(set));
  redis::expect_no_error(r, "writing the limits in " + impl_->keys.meta);
}

net::awaitable<std::optional<std::int64_t>> queue::get_global_concurrency() {
  redis::command get{"HGET", impl_->keys.meta, "concurrency"};
  auto r = co_await impl_->conn->exec(std::move(get));
  redis::expect_no_error(r, "reading the limits in " + impl_->keys.meta);
  co_return number_field(r);
}

net::awaitable<void> queue::remove_global_concurrency() {
  redis::command del{"HDEL", impl_->keys.meta, "concurrency"};
  auto r = co_await impl_->conn->exec(std::move(del));
  redis::expect_no_error(r, "writing the limits in " + impl_->keys.meta);
}

net::awaitable<void> queue::set_global_rate_limit(std::int64_t max, std::chrono::milliseconds duration) {
  check_positive(max, "global rate limit max");
  check_positive(duration.count(), "global rate limit duration (ms)");
  co_await detail::write_version_once(*impl_);  // a queue first made here is Node's too
  redis::command set{"HSET", impl_->keys.meta, "max"};
  set.push(max).push("duration").push(static_cast<std::int64_t>(duration.count()));
  auto r = co_await impl_->conn->exec(std::move(set));
  redis::expect_no_error(r, "writing the limits in " + impl_->keys.meta);
}

net::awaitable<std::optional<global_rate_limit>> queue::get_global_rate_limit() {
  redis::command get{"HMGET", impl_->keys.meta, "max", "duration"};
  auto r = co_await impl_->conn->exec(std::move(get));
  redis::expect_no_error(r, "reading the limits in " + impl_->keys.meta);
  if (r.elements.size() != 2) co_return std::nullopt;
  auto max = number_field(r.elements[0]);
  auto duration = number_field(r.elements[1]);
  // Node reports a limit only when both fields are set (and not 0).
  if (!max || !duration || *max == 0 || *duration == 0) co_return std::nullopt;
  co_return global_rate_limit{*max, std::chrono::milliseconds(*duration)};
}

net::awaitable<void> queue::remove_global_rate_limit() {
  redis::command del{"HDEL", impl_->keys.meta, "max", "duration"};
  auto r = co_await impl_->conn->exec(std::move(del));
  redis::expect_no_error(r, "writing the limits in " + impl_->keys.meta);
}

net::awaitable<bool> queue::is_maxed() {
  auto call = detail::scripts::is_maxed::of(impl_->keys);
  co_return co_await detail::scripts::run(*impl_->conn, std::move(call));
}

net::awaitable<void> queue::rate_limit(std::chrono::milliseconds duration) {
  check_positive(duration.count(), "rate limit duration (ms)");
  auto set = detail::hold_rate_limited(impl_->keys, duration);
  auto r = co_await impl_->conn->exec(std::move(set));
  redis::expect_no_error(r, "SET " + impl_->keys.limiter);
}

net::awaitable<bool> queue::remove_rate_limit_key() {
  redis::command del{"DEL", impl_->keys.limiter};
  auto r = co_await impl_->conn->exec(std::move(del));
  redis::expect_no_error(r, "DEL " + impl_->keys.limiter);
  co_return r.as_int().value_or(0) > 0;
}

net::awaitable<queue_meta> queue::get_meta() {
  redis::command all{"HGETALL", impl_->keys.meta};
  auto r = co_await impl_->conn->exec(std::move(all));
  redis::expect_no_error(r, "reading the limits in " + impl_->keys.meta);
  queue_meta m;
  std::optional<std::int64_t> max, duration;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string field = r.elements[i].as_string();
    const auto& value = r.elements[i + 1];
    if (field == "concurrency") {
      m.concurrency = number_field(value);
    } else if (field == "max") {
      max = number_field(value);
    } else if (field == "duration") {
      duration = number_field(value);
    } else if (field == "opts.maxLenEvents") {
      m.max_len_events = number_field(value);
    } else if (field == "paused") {
      m.paused = value.as_string() == "1";
    } else if (field == "version") {
      m.version = value.as_string();
    } else {
      m.other.emplace(field, value.as_string());
    }
  }
  if (max && duration) m.rate_limit = global_rate_limit{*max, std::chrono::milliseconds(*duration)};
  co_return m;
}

net::awaitable<std::map<std::int64_t, std::int64_t>> queue::get_counts_per_priority(
    std::vector<std::int64_t> priorities) {
  for (auto p : priorities) {
    if (p < 0) throw error(errc::invalid_argument, fmt::format("priority must not be negative, not {}", p));
  }
  std::sort(priorities.begin(), priorities.end());
  priorities.erase(std::unique(priorities.begin(), priorities.end()), priorities.end());
  auto call = detail::scripts::get_counts_per_priority::of(impl_->keys, priorities);
  auto counts = co_await detail::scripts::run(*impl_->conn, std::move(call));
  std::map<std::int64_t, std::int64_t> out;
  for (std::size_t i = 0; i < priorities.size() && i < counts.size(); ++i) out[priorities[i]] = counts[i];
  co_return out;
}

net::awaitable<std::int64_t> queue::trim_events(std::int64_t max_length) {
  if (max_length < 0) throw error(errc::invalid_argument, "events stream length must not be negative");
  redis::command trim{"XTRIM", impl_->keys.events, "MAXLEN", "~"};
  trim.push(max_length);
  auto r = co_await impl_->conn->exec(std::move(trim));
  co_return r.as_int().value_or(0);
}

}  // namespace drover
