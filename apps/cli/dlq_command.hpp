// dlq_command.hpp - `drover dlq`: look at a queue's dead letters and send them back.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace drover::cli {

// Adds `dlq list|show|requeue|requeue-all`; it returns its exit code through `run`.
void add_dlq_command(CLI::App& app, std::function<int()>& run);

}  // namespace drover::cli
