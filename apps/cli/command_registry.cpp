// command_registry.cpp - one CLI11 subcommand per command, nested by the words of its
// name; groups require one of their actions. It also owns how the command line fails:
// CLI11's own messages and exit codes (105-109, "A subcommand is required", a second
// line) become one line "drover: error: ..." and exit code 2.
#include "command_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <stdexcept>

namespace drover::cli {

namespace {

// "drover queue jobs" for the app of `queue jobs`.
std::string path_of(const CLI::App* app) {
  std::string path;
  for (; app && app->get_parent(); app = app->get_parent()) path = " " + app->get_name() + path;
  return "drover" + path;
}

// The deepest subcommand the command line reached (the root when none).
const CLI::App* deepest_parsed(const CLI::App& root) {
  const CLI::App* at = &root;
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const auto* sub : at->get_subcommands()) {
      if (sub->parsed()) {
        at = sub;
        deeper = true;
        break;
      }
    }
  }
  return at;
}

}  // namespace

command_registry::command_registry(CLI::App& app, std::vector<command> commands) : app_(app) {
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

std::string command_registry::usage_error(const CLI::ParseError& e) const {
  const CLI::App* at = deepest_parsed(app_);
  const auto path = path_of(at);
  // A group (or drover itself) reached without one of its commands: CLI11 says "A
  // subcommand is required" even when the word given was a misspelt command.
  const bool group = at == &app_ || std::any_of(entries_.begin(), entries_.end(),
                                                [at](const entry& x) { return x.app == at && !x.cmd.run; });
  if (group && at->get_subcommands().empty() && at->get_require_subcommand_min() > 0) {
    auto left = at->remaining();
    if (left.empty()) return fmt::format("{} needs a command (see {} --help)", path, path);
    const auto& word = left.front();
    if (!word.empty() && word.front() == '-') return fmt::format("unknown option {} (see {} --help)", word, path);
    auto words = at == &app_ ? word : path.substr(path.find(' ') + 1) + " " + word;  // without "drover "
    return fmt::format("unknown command '{}' (see {} --help)", words, path);
  }
  return fmt::format("{} (see {} --help)", e.what(), path);
}

int command_registry::run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) const {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app_.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app_.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app_.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "drover: error: " << usage_error(e) << std::endl;
    return exit_code::usage;
  }
  try {
    return run_parsed();
  } catch (const std::exception& ex) {
    err << "drover: error: " << ex.what() << std::endl;
    return exit_code::failed;
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
