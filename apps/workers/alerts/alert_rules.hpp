// alert_rules.hpp - the alert rules of the Workers app, read from configuration.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drover::workers {

enum class alert_kind {
  failure_rate,         // failed / (completed + failed) in the window above threshold
  waiting,              // waiting (and prioritized) jobs above threshold for `for_duration`
  stalled,              // a job of the queue stalled within the window
  dead_letter_growing,  // the queue's dead-letter queue (<queue>-dlq) grew within the window
  no_worker,            // no worker connected to the queue for `for_duration`
};

// "failure_rate", "waiting", "stalled", "dead_letter_growing", "no_worker".
const char* to_string(alert_kind k);

struct alert_rule {
  alert_rule() = default;
  std::string name;  // shown in messages; default "<type> <queue>"
  alert_kind kind = alert_kind::failure_rate;
  std::string queue;
  double threshold = 0;                       // failure_rate: 0..1 (default 0.5); waiting: jobs (default 100)
  std::chrono::milliseconds window{300000};   // failure_rate, stalled, dead_letter_growing (default 5 min)
  std::chrono::milliseconds for_duration{0};  // waiting, no_worker: how long it must hold first
  std::int64_t min_jobs = 1;                  // failure_rate: finished jobs in the window needed to judge
};

// Rules from JSON: an array of objects, or {"rules": [...]}. Each object:
//   {"type": "failure_rate", "queue": "ai-processing", "threshold": 0.2, "windowSeconds": 300,
//    "minJobs": 5, "name": "AI failures"}
//   {"type": "waiting", "queue": "q", "threshold": 100, "forSeconds": 60}
//   {"type": "stalled", "queue": "q", "windowSeconds": 300}
//   {"type": "dead_letter_growing", "queue": "q", "windowSeconds": 300}
//   {"type": "no_worker", "queue": "q", "forSeconds": 30}
// Seconds may have a fraction. Throws drover::error(invalid_argument) naming the rule and
// field at fault; names must be unique.
std::vector<alert_rule> parse_alert_rules(std::string_view json_text);

struct alert_settings {
  alert_settings() = default;
  std::vector<alert_rule> rules;             // ALERT_RULES (JSON) or ALERT_RULES_FILE (a path)
  std::string webhook_url;                   // ALERT_WEBHOOK_URL: Slack-compatible incoming webhook
  std::chrono::milliseconds interval{5000};  // ALERT_INTERVAL_MS: how often rules are evaluated

  // Throws drover::error(invalid_argument) for unreadable or malformed rules.
  static alert_settings from_env();
};

}  // namespace drover::workers
