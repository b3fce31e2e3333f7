// command_registry.cpp - one CLI11 subcommand per command, nested by the words of its
// name; groups require one of their actions.
#include "command_registry.hpp"

#include <stdexcept>

namespace drover::cli {

command_registry::command_registry(CLI::App& app, std::vector<command> commands) {
  entries_.reserve(commands.size());
  for (auto& c : commands) {
    CLI::App* parent = &app;
    auto space = c.name.rfind(' ');
    if (space != std::string::npos) {
      // CLI11 finds the parent by its own name, which is the last word of the group's.
      auto group = c.name.substr(0, space);
      parent = nullptr;
      for (const auto& e : entries_) {
        if (e.cmd.name == group) parent = e.app;
      }
      if (!parent) throw std::logic_error("drover command '" + c.name + "' comes before its group");
    }
    auto* sub = parent->add_subcommand(c.name.substr(space == std::string::npos ? 0 : space + 1), c.help);
    if (c.add_options) c.add_options(*sub);
    if (!c.run) sub->require_subcommand(1);
    entries_.push_back({std::move(c), sub});
  }
}

int command_registry::run_parsed() const {
  // Only the leaf the command line named runs; its group is parsed too, but a group
  // has nothing to run.
  for (const auto& e : entries_) {
    if (e.cmd.run && e.app->parsed()) return e.cmd.run();
  }
  return 0;
}

}  // namespace drover::cli
