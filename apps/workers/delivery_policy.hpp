// delivery_policy.hpp - how long a webhook delivery keeps trying, how far apart, and
// which deliveries go first.
//
// A delivery carries something its receiver cannot get back any other way: the chat
// answer the API stores, an alert. Its receiver is away for as long as a restart, a
// deploy or a database failover takes, often more than the quarter of a minute that five
// doubling attempts from 1 s cover (they lost every answer of a 25 s API restart). So a
// delivery doubles its delay from the job's backoff delay up to a ceiling of five
// minutes, which it then keeps, for about seven hours of attempts in all; then it fails
// for good into the dead letters, from which `drover dlq requeue-all` sends it again.
// The ceiling keeps a delivery at most five minutes late once its receiver is back; the
// jitter spreads the deliveries an outage held back, which would otherwise all retry at
// the same moment. BullMQ has no capped backoff, hence a backoff type of drover's own,
// which the Workers app's webhook-delivery worker understands.
//
// That is for receivers the operator configured: the API's own, the alert receiver. A
// URL a user gave with a send keeps five attempts over about 15 s: every delivery holds
// one of the queue's shared slots for up to 10 s per attempt, and a receiver that never
// answers must not hold them for hours. It also waits behind the configured ones: those
// go plain into wait, and BullMQ takes every waiting job before a prioritized one, so a
// user whose receiver hangs delays the other users' answers by one attempt's timeout at
// most, not by a queue of them.
#pragma once

#include <drover_app/job_completed_receiver.hpp>

#include "workers/address_policy.hpp"

#include <drover/job.hpp>
#include <drover/job_options.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::workers {

inline constexpr const char* webhook_backoff_type = "webhook";
inline constexpr std::int64_t webhook_attempts = 100;
inline constexpr std::int64_t user_webhook_attempts = 5;
inline constexpr std::int64_t user_webhook_priority = 1;
inline constexpr std::chrono::milliseconds webhook_first_retry{1000};
inline constexpr std::chrono::milliseconds webhook_longest_wait{std::chrono::minutes(5)};
// A delivery keeps only its latest attempts' log lines: one failing for hours would
// otherwise hold a hundred of them in Redis.
inline constexpr std::int64_t webhook_logs_kept = 50;

enum class webhook_receiver {
  configured,  // the API's own receiver or the alert receiver: retried for hours
  user_given,  // a send's webhookUrl: five attempts, doubling from 1 s, after the others
};

// The API's own job-completed receiver: the hosts it answers on (PUBLIC_URL's, else
// 127.0.0.1 and localhost with PORT) and its path. Only a URL naming that path there is
// the configured receiver: any other path on the API's address is a URL a user gave
// (which the SSRF allowlist lets through, as it lets the receiver through).
struct api_receiver_address {
  address_policy hosts;
  std::string path{app::job_completed_path};
  std::string hosts_text;  // `hosts` as an allowlist ("127.0.0.1:5000,localhost:5000")

  // The receiver as the API derives it: PUBLIC_URL's host, port and path when
  // `public_url` is given, else 127.0.0.1 and localhost on `port`. Throws
  // std::invalid_argument naming PUBLIC_URL when it is not an absolute http(s) URL with a
  // host (app::parse_public_url, the API's own check).
  static api_receiver_address of(const char* public_url, std::string_view port);

  webhook_receiver receiver_of(std::string_view url) const;
};

// Gives `opts` the delivery policy above for a delivery to `receiver`: also how long a
// delivery that failed for good stays in the queue's failed set (a day and at most 1,000
// of those to users' URLs, which users can cause at will; a week and 10,000 of the others).
void use_delivery_policy(job_options& opts, webhook_receiver receiver);

// Whether delivery job `j` goes to a URL a user gave (its policy's mark: its priority).
bool user_given_delivery(const job& j);

// The wait before attempt `attempts_made` + 1 of a delivery whose backoff delay is
// `first`: doubling from `first`, at most webhook_longest_wait, then between 80 % and
// 100 % of that at random (`unit`, in [0, 1), picks where).
std::int64_t webhook_retry_delay(std::int64_t attempts_made, std::int64_t first, double unit);

// How a failed attempt's reason says the wait its receiver asked for, and the wait read
// back from a reason: the backoff strategy sees only the reason, and a user reading the
// failure sees why the next attempt came later than the backoff says.
std::string retry_after_note(std::chrono::milliseconds wait);
std::optional<std::chrono::milliseconds> retry_after_in(std::string_view reason);

// The webhook-delivery worker's backoff_strategy: for the "webhook" type,
// webhook_retry_delay, or the wait the receiver asked for in `reason` when that is
// longer; std::nullopt (fail for good) for any other type it does not know. A user's URL
// keeps its five attempts over 15 s (an exponential backoff, whatever it asks): the
// design that keeps a user's receiver from holding the queue's slots for long.
std::optional<std::int64_t> webhook_backoff_strategy(std::int64_t attempts_made, const std::string& type,
                                                     std::int64_t first, std::string_view reason = {});

}  // namespace drover::workers
