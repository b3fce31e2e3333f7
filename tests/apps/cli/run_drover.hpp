// run_drover.hpp - runs one `drover` command line in the test program, as main() does,
// against the real command list, and keeps what it printed: the registry's own lines
// and the commands' std::cout and std::cerr alike.
#pragma once

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "command_registry.hpp"
#include "commands.hpp"

namespace drover::cli::test_run {

struct drover_run {
  int rc = -1;
  std::string out, err;
};

inline drover_run run_drover(const std::vector<std::string>& args) {
  CLI::App app{"drover"};
  app.require_subcommand(1);
  command_registry registry(app, drover_commands());
  std::vector<const char*> argv{"drover"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  auto* cout_was = std::cout.rdbuf(out.rdbuf());
  auto* cerr_was = std::cerr.rdbuf(err.rdbuf());
  drover_run r;
  try {
    r.rc = registry.run(static_cast<int>(argv.size()), argv.data(), out, err);
  } catch (...) {
    std::cout.rdbuf(cout_was);
    std::cerr.rdbuf(cerr_was);
    throw;
  }
  std::cout.rdbuf(cout_was);
  std::cerr.rdbuf(cerr_was);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace drover::cli::test_run
