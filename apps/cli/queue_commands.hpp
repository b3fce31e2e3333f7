// queue_commands.hpp - `drover queue ACTION`: look at and manage a queue, one
// subcommand per action, each with its own --help and --json.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "commands.hpp"

namespace drover::cli {

// Adds `queue` and its actions; the chosen one returns its exit code through `run`.
void add_queue_commands(CLI::App& app, std::function<int()>& run);

// Runs `queue counts` or `queue job --id ID` (the top-level `drover counts` and
// `drover job`, which always print JSON); returns the exit code.
int run_queue_view(const common_options& c, const std::string& action, const std::string& id, bool json);

}  // namespace drover::cli
