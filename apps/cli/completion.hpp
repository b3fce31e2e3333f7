// completion.hpp - `drover completion bash|zsh`: shell completion scripts written from
// the CLI11 app itself (its subcommands, options and choices), so they cannot drift
// from the real command line.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace drover::cli {

// The script for `shell` ("bash" or "zsh") completing `program`; throws
// std::invalid_argument for another shell.
std::string completion_script(CLI::App& app, const std::string& program, const std::string& shell);

}  // namespace drover::cli
