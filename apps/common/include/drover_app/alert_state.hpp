// alert_state.hpp - where the Workers app keeps its open alert incidents in Redis, for
// the API (GET /api/alerts) and the dashboard to show.
#pragma once

#include <string>
#include <string_view>

namespace drover::app {

// The key: a JSON string
//   {"updatedAt": <epoch ms of the last evaluation>, "evaluator": "<host:pid>",
//    "rules": <number of rules>,
//    "incidents": [{"rule": "...", "type": "failure_rate", "queue": "...", "since": <epoch ms>,
//                   "message": "...", "value": <number>}, ...]}
// written by the evaluator after each evaluation (it expires after a minute without
// one, so that a stopped evaluator leaves no stale incidents behind).
inline std::string alert_state_key(std::string_view prefix) { return std::string(prefix) + ":drover:alerts"; }

// The open incidents again, the same JSON, kept a week and written when one opens or ends
// (their message and value there are those of that moment): the evaluator that takes over after
// a stop of any length adopts them from here, so that an incident still open is neither
// posted a second time nor left without its RESOLVED (the state key above had expired
// after a minute, and a restart 65 s later posted a FIRING again that never resolved).
inline std::string alert_incidents_key(std::string_view prefix) {
  return std::string(prefix) + ":drover:alert-incidents";
}

// The evaluators' lock (one evaluating process at a time): SET NX PX by its owner.
inline std::string alert_lock_key(std::string_view prefix) { return std::string(prefix) + ":drover:alerts-lock"; }

}  // namespace drover::app
