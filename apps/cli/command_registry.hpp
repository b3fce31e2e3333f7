// command_registry.hpp - turns the list of `drover` commands into a CLI11 app, and
// after parsing runs the one the command line chose.
#pragma once

#include <CLI/CLI.hpp>

#include <vector>

#include "command.hpp"

namespace drover::cli {

class command_registry {
 public:
  // Adds every command to `app`, in the order given (the order --help shows); `app`
  // must outlive the registry.
  command_registry(CLI::App& app, std::vector<command> commands);

  // Runs the command that app.parse() chose and returns its exit code; 0 when none
  // was chosen (the app requires one, so only an empty list gets there).
  int run_parsed() const;

 private:
  struct entry {
    command cmd;
    CLI::App* app;
  };
  std::vector<entry> entries_;
};

}  // namespace drover::cli
