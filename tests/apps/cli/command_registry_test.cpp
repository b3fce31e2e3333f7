// command_registry_test.cpp - the registry builds the command line from a list of
// commands: groups nest their actions, the parsed leaf runs with its flags, a group
// needs an action, and the real list has every command once.
#include "command_registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "commands.hpp"

namespace drover::cli {
namespace {

struct sample_flags {
  std::string id;
  int runs = 0;
};

struct parsed {
  int rc = -1;
  bool parse_error = false;
};

// Parses `args` (after the program name) on a fresh app of `commands` and runs the result.
parsed run(std::vector<command> commands, std::vector<std::string> args) {
  CLI::App app{"sample"};
  app.require_subcommand(1);
  command_registry registry(app, std::move(commands));
  std::vector<const char*> argv{"sample"};
  for (const auto& a : args) argv.push_back(a.c_str());
  parsed out;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    out.parse_error = true;
    return out;
  }
  out.rc = registry.run_parsed();
  return out;
}

std::vector<command> sample(std::string& seen) {
  std::vector<command> c;
  c.push_back(make_command<sample_flags>(
      "hello", "say hello", [](CLI::App& cmd, sample_flags& f) { cmd.add_option("--id", f.id); },
      [&seen](const sample_flags& f) {
        seen = "hello " + f.id;
        return 0;
      }));
  c.push_back(command_group("queue", "queue actions"));
  c.push_back(make_command<sample_flags>(
      "queue remove", "remove one", [](CLI::App& cmd, sample_flags& f) { cmd.add_option("--id", f.id)->required(); },
      [&seen](const sample_flags& f) {
        seen = "remove " + f.id;
        return 3;
      }));
  return c;
}

TEST(command_registry, runs_the_parsed_command_with_its_flags) {
  std::string seen;
  auto r = run(sample(seen), {"hello", "--id", "7"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(seen, "hello 7");
}

TEST(command_registry, runs_an_action_of_a_group_and_returns_its_exit_code) {
  std::string seen;
  auto r = run(sample(seen), {"queue", "remove", "--id", "42"});
  EXPECT_EQ(r.rc, 3);
  EXPECT_EQ(seen, "remove 42");
}

TEST(command_registry, a_group_needs_an_action_and_an_action_its_required_flags) {
  std::string seen;
  EXPECT_TRUE(run(sample(seen), {"queue"}).parse_error);
  EXPECT_TRUE(run(sample(seen), {"queue", "remove"}).parse_error);
  EXPECT_TRUE(seen.empty());
}

TEST(command_registry, an_action_before_its_group_is_a_mistake_in_the_list) {
  std::vector<command> c;
  c.push_back(command{"queue remove", "remove one", nullptr, [] { return 0; }});
  CLI::App app{"sample"};
  EXPECT_THROW(command_registry(app, std::move(c)), std::logic_error);
}

TEST(command_registry, drover_lists_every_command_once) {
  std::set<std::string> names;
  for (const auto& c : drover_commands()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
  for (const char* name : {"worker",       "add",       "counts",     "job",  "events",   "schedule",   "api",
                           "workers",      "dashboard", "migrate",    "dlq",  "queue",    "queue jobs", "queue list",
                           "queue limits", "top",       "completion", "flow", "flow add", "flow show"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  CLI::App app{"drover"};
  command_registry registry(app, drover_commands());  // the list builds: groups come first
  EXPECT_EQ(app.get_subcommand("queue")->get_subcommands({}).size(), 18u);
}

}  // namespace
}  // namespace drover::cli
