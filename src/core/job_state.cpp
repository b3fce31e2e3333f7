// job_state.cpp - job states to and from BullMQ's names.
#include "drover/job_state.hpp"

#include <array>
#include <utility>

namespace drover {

namespace {

constexpr std::array<std::pair<job_state, std::string_view>, 7> names{{
    {job_state::waiting, "waiting"},
    {job_state::prioritized, "prioritized"},
    {job_state::delayed, "delayed"},
    {job_state::active, "active"},
    {job_state::waiting_children, "waiting-children"},
    {job_state::completed, "completed"},
    {job_state::failed, "failed"},
}};

}  // namespace

const char* to_string(job_state s) {
  for (const auto& [state, name] : names) {
    if (state == s) return name.data();
  }
  return "unknown";
}

const char* to_string(std::optional<job_state> s) { return s ? to_string(*s) : "unknown"; }

std::optional<job_state> parse_job_state(std::string_view name) {
  for (const auto& [state, n] : names) {
    if (n == name) return state;
  }
  return std::nullopt;
}

}  // namespace drover
