// main.cpp - the `drover` command line: builds it from the list of commands, parses
// the arguments and runs the command they chose (command_registry::run: exit codes and
// the one-line errors).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>

#include "command_registry.hpp"
#include "commands.hpp"
#include "drover_app/logging/log_setup.hpp"

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_st("drover"));
  // Text, one line per message; the apps' commands choose again from their flags.
  drover::app::configure_logging(drover::app::log_format::text, spdlog::level::info);

  CLI::App app{"drover - background jobs for C++, wire-compatible with BullMQ"};
  app.set_version_flag("--version", std::string("drover ") + DROVER_VERSION + " (BullMQ 6.7.0's Redis layout)");
  app.require_subcommand(1);
  drover::cli::command_registry commands(app, drover::cli::drover_commands());
  return commands.run(argc, argv, std::cout, std::cerr);
}
