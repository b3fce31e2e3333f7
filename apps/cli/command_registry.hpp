// command_registry.hpp - turns the list of `drover` commands into a CLI11 app, and
// after parsing runs the one the command line chose.
#pragma once

#include <CLI/CLI.hpp>

#include <ostream>
#include <vector>

#include "command.hpp"

namespace drover::cli {

class command_registry {
 public:
  // Adds every command to `app`, in the order given (the order --help shows); `app`
  // must outlive the registry.
  command_registry(CLI::App& app, std::vector<command> commands);

  // Parses the command line, runs the command it names and returns the exit code.
  // --help prints to `out` (exit 0). A bad command line (unknown command or flag, a
  // missing or bad value) is one line on `err`, "drover: error: <what> (see drover
  // <command> --help)", and exit_code::usage; a command that throws is one line
  // "drover: error: <what>" and exit_code::failed.
  int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) const;

  // Runs the command that app.parse() chose and returns its exit code; 0 when none
  // was chosen (the app requires one, so only an empty list gets there).
  int run_parsed() const;

  // The one line (without "drover: error: ") for a parse error of the app.
  std::string usage_error(const CLI::ParseError& e) const;

 private:
  struct entry {
    command cmd;
    CLI::App* app;
  };
  CLI::App& app_;
  std::vector<entry> entries_;
};

}  // namespace drover::cli
