// command_list.cpp - the one list of `drover` commands. The order is the order of
// `drover --help` and of the completion scripts; a group comes before its actions.
#include "commands.hpp"

namespace drover::cli {

std::vector<command> drover_commands() {
  std::vector<command> all;
  auto add = [&all](std::vector<command> more) {
    for (auto& c : more) all.push_back(std::move(c));
  };
  all.push_back(worker_command());
  all.push_back(add_command());
  all.push_back(counts_command());
  all.push_back(job_command());
  all.push_back(events_command());
  all.push_back(schedule_command());
  add(flow_commands());
  add(app_commands());
  all.push_back(dlq_command());
  add(queue_commands());
  all.push_back(queue_list_command());
  all.push_back(top_command());
  all.push_back(completion_command());
  return all;
}

}  // namespace drover::cli
