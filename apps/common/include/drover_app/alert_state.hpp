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

// The evaluators' lock (one evaluating process at a time): SET NX PX by its owner.
inline std::string alert_lock_key(std::string_view prefix) { return std::string(prefix) + ":drover:alerts-lock"; }

}  // namespace drover::app
