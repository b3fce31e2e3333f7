// delivery_policy.cpp - see delivery_policy.hpp.
#include "workers/delivery_policy.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <random>
#include <stdexcept>

namespace drover::workers {

namespace {

boost::json::object failed_kept(std::chrono::seconds age, std::int64_t count) {
  return {{"age", age.count()}, {"count", count}};
}

}  // namespace

void use_delivery_policy(job_options& opts, webhook_receiver receiver) {
  if (receiver == webhook_receiver::user_given) {
    opts.attempts = user_webhook_attempts;
    opts.backoff = backoff_options{"exponential", webhook_first_retry.count(), std::nullopt};
    opts.priority = user_webhook_priority;
    opts.remove_on_fail = failed_kept(std::chrono::hours(24), 1000);
    return;
  }
  opts.attempts = webhook_attempts;
  opts.backoff = backoff_options{webhook_backoff_type, webhook_first_retry.count(), std::nullopt};
  opts.keep_logs = webhook_logs_kept;
  opts.remove_on_fail = failed_kept(std::chrono::hours(24 * 7), 10000);
}

api_receiver_address api_receiver_address::of(const char* public_url, std::string_view port) {
  api_receiver_address a;
  if (public_url) {
    const auto u = app::parse_public_url(public_url);
    a.hosts_text = std::string(u.encoded_host()) + ":" + port_of(u);
    a.path = app::job_completed_url(u.encoded_path());
  } else {
    a.hosts_text = fmt::format("127.0.0.1:{0},localhost:{0}", port);
  }
  a.hosts = address_policy(a.hosts_text);
  return a;
}

webhook_receiver api_receiver_address::receiver_of(std::string_view url) const {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u || !u->has_authority() || u->has_query() || u->has_fragment()) return webhook_receiver::user_given;
  const bool ours = hosts.host_allowed(u->encoded_host(), port_of(*u)) && u->encoded_path() == path;
  return ours ? webhook_receiver::configured : webhook_receiver::user_given;
}

bool user_given_delivery(const job& j) { return j.opts.priority == user_webhook_priority; }

std::int64_t webhook_retry_delay(std::int64_t attempts_made, std::int64_t first, double unit) {
  const std::int64_t longest = webhook_longest_wait.count();
  std::int64_t wait = std::clamp<std::int64_t>(first, 1, longest);
  // Doubling stops at the ceiling, long before the shift could overflow.
  for (std::int64_t n = 1; n < attempts_made && wait < longest; ++n) wait = std::min(wait * 2, longest);
  return static_cast<std::int64_t>(static_cast<double>(wait) * (0.8 + 0.2 * std::clamp(unit, 0.0, 1.0)));
}

namespace {
constexpr std::string_view retry_after_mark = " (the receiver asked to retry after ";
}

std::string retry_after_note(std::chrono::milliseconds wait) {
  return fmt::format("{}{} ms)", retry_after_mark, wait.count());
}

std::optional<std::chrono::milliseconds> retry_after_in(std::string_view reason) {
  const auto at = reason.rfind(retry_after_mark);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = reason.substr(at + retry_after_mark.size());
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ms);
  if (ec != std::errc() || std::string_view(end, rest.data() + rest.size() - end) != " ms)" || ms < 0) {
    return std::nullopt;
  }
  return std::min(std::chrono::milliseconds(ms), webhook_longest_wait);
}

std::optional<std::int64_t> webhook_backoff_strategy(std::int64_t attempts_made, const std::string& type,
                                                     std::int64_t first, std::string_view reason) {
  if (type != webhook_backoff_type) return std::nullopt;
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto backoff = webhook_retry_delay(attempts_made, first, unit(random));
  const auto asked = retry_after_in(reason);
  return asked ? std::max(backoff, static_cast<std::int64_t>(asked->count())) : backoff;
}

}  // namespace drover::workers
