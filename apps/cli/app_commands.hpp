// app_commands.hpp - `drover api`, `drover workers` and `drover migrate`.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace drover::cli {

// Adds the three subcommands to `app`; each returns its exit code through `run`.
void add_app_commands(CLI::App& app, std::function<int()>& run);

}  // namespace drover::cli
