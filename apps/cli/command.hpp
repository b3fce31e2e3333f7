// command.hpp - one `drover` command: its name, its help, its flags, and what it runs.
// Every command, the `queue` actions included, is one of these; command_list.cpp lists
// them and command_registry turns the list into the command line.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace drover::cli {

// The exit codes of every `drover` command (README, "The `drover` command").
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failed = 1;     // an error while running: Redis away, bad job data, ...
inline constexpr int usage = 2;      // a bad command line: unknown command or flag, bad value
inline constexpr int not_found = 3;  // no such job (or dead letter, scheduler)
}  // namespace exit_code

struct command {
  // The words after `drover`: "worker", or "queue jobs" for an action under the
  // group "queue" (which must come earlier in the list).
  std::string name;
  std::string help;
  // Declares the command's flags on its CLI11 subcommand (checked with flag_checks.hpp).
  // It may also set the subcommand's callback to check flags together: a
  // CLI::ParseError thrown there is reported like any other bad command line.
  std::function<void(CLI::App&)> add_options;
  // Runs the command once its flags are parsed and returns the exit code (exit_code);
  // failures throw (command_registry::run prints "drover: error: ..." and exits 1).
  // Empty for a group, which only holds subcommands.
  std::function<int()> run;
};

// A command whose flags are a `Flags` struct: add_options(cmd, flags) binds them,
// run(flags) reads them. The struct is shared by the two functions, nothing else.
template <class Flags, class AddOptions, class Run>
command make_command(std::string name, std::string help, AddOptions add_options, Run run) {
  auto flags = std::make_shared<Flags>();
  return {std::move(name), std::move(help),
          [flags, add_options = std::move(add_options)](CLI::App& cmd) { add_options(cmd, *flags); },
          [flags, run = std::move(run)] { return run(*flags); }};
}

// A group: `drover NAME ACTION`, where one action must be given.
inline command command_group(std::string name, std::string help) {
  return {std::move(name), std::move(help), nullptr, nullptr};
}

}  // namespace drover::cli
