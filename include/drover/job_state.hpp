// job_state.hpp - the states a job can be in, by the names BullMQ gives them.
#pragma once

#include <optional>
#include <string_view>

namespace drover {

// Where a job is. A job in a paused queue's list is `waiting`, as BullMQ reports it.
enum class job_state {
  waiting,
  prioritized,
  delayed,
  active,
  waiting_children,
  completed,
  failed,
};

// BullMQ's name: "waiting", "prioritized", "delayed", "active", "waiting-children",
// "completed", "failed".
const char* to_string(job_state s);

// BullMQ's name of a looked-up state, "unknown" for no job: what Node's getState()
// answers, for output that must read the same.
const char* to_string(std::optional<job_state> s);

// The state BullMQ's name stands for; std::nullopt for any other text ("unknown" too).
std::optional<job_state> parse_job_state(std::string_view name);

}  // namespace drover
