// command_registry_test.cpp - the registry builds the command line from a list of
// commands: groups nest their actions, the parsed leaf runs with its flags, a group
// needs an action, and the real list has every command once. A bad command line is one
// line "drover: error: ..." and exit 2, a failure exit 1, --help exit 0.
#include "command_registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <stdexcept>
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

struct outcome {
  int rc = -1;
  std::string out, err;
};

// Runs `args` through command_registry::run, as main() does, on a fresh app of `commands`.
outcome run_line(std::vector<command> commands, std::vector<std::string> args) {
  CLI::App app{"sample"};
  app.require_subcommand(1);
  command_registry registry(app, std::move(commands));
  std::vector<const char*> argv{"drover"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  outcome o;
  o.rc = registry.run(static_cast<int>(argv.size()), argv.data(), out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

outcome run_line(std::vector<std::string> args) {
  std::string seen;
  return run_line(sample(seen), std::move(args));
}

TEST(command_registry, a_bad_command_line_is_one_line_and_exit_code_2) {
  struct usage_case {
    std::vector<std::string> args;
    const char* err;
  };
  const std::vector<usage_case> cases{
      {{}, "drover: error: drover needs a command (see drover --help)\n"},
      {{"bogus"}, "drover: error: unknown command 'bogus' (see drover --help)\n"},
      {{"--bogus"}, "drover: error: unknown option --bogus (see drover --help)\n"},
      {{"queue"}, "drover: error: drover queue needs a command (see drover queue --help)\n"},
      {{"queue", "bogus"}, "drover: error: unknown command 'queue bogus' (see drover queue --help)\n"},
      {{"queue", "remove"}, "drover: error: --id is required (see drover queue remove --help)\n"},
      {{"hello", "extra"}, "drover: error: The following argument was not expected: extra (see drover hello --help)\n"},
  };
  for (const auto& c : cases) {
    auto o = run_line(c.args);
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    EXPECT_EQ(o.rc, exit_code::usage) << line;
    EXPECT_EQ(o.err, c.err) << line;
    EXPECT_EQ(o.out, "") << line;
  }
}

TEST(command_registry, help_exits_0_and_a_failure_is_one_line_and_exit_code_1) {
  auto help = run_line({"queue", "remove", "--help"});
  EXPECT_EQ(help.rc, exit_code::ok);
  EXPECT_NE(help.out.find("--id"), std::string::npos) << help.out;

  std::vector<command> c;
  c.push_back(command{"boom", "fails", nullptr, []() -> int { throw std::runtime_error("Redis is away"); }});
  auto failed = run_line(std::move(c), {"boom"});
  EXPECT_EQ(failed.rc, exit_code::failed);
  EXPECT_EQ(failed.err, "drover: error: Redis is away\n");
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

// Every command that takes --redis takes the same connection flags (add_connection),
// the --redis-tls-* ones included: `dlq` had only --redis.
TEST(command_registry, every_command_with_redis_takes_the_tls_flags) {
  CLI::App app{"drover"};
  command_registry registry(app, drover_commands());
  std::vector<std::pair<std::string, CLI::App*>> todo{{"drover", &app}};
  int checked = 0;
  while (!todo.empty()) {
    auto [path, at] = todo.back();
    todo.pop_back();
    for (auto* sub : at->get_subcommands({})) todo.emplace_back(path + " " + sub->get_name(), sub);
    // The apps (api, workers, dashboard) take a URL alone and the REDIS_TLS_* variables.
    if (!at->get_option_no_throw("--redis") || at->get_option_no_throw("--database-url") ||
        path == "drover dashboard") {
      continue;
    }
    ++checked;
    for (const char* flag : {"--prefix", "--redis-tls-ca", "--redis-tls-cert", "--redis-tls-key",
                             "--redis-tls-server-name", "--redis-tls-insecure"}) {
      EXPECT_TRUE(at->get_option_no_throw(flag)) << path << " lacks " << flag;
    }
  }
  EXPECT_GT(checked, 20);
}

// The real list refuses bad values at parse time, with the shared checks' words.
TEST(command_registry, drover_refuses_bad_values_as_usage_errors) {
  struct bad_case {
    std::vector<std::string> args;
    const char* err;
  };
  const std::vector<bad_case> cases{
      {{"worker", "-q", "q", "--concurrency", "0"},
       "drover: error: --concurrency: must be a positive integer, got 0 (see drover worker --help)\n"},
      {{"queue", "jobs", "-q", "q", "--state", "bogus"},
       "drover: error: --state: must be one of active, waiting, wait, paused, prioritized, delayed, waiting-children, "
       "completed, failed; got 'bogus' (see drover queue jobs --help)\n"},
      {{"queue", "retry", "-q", "q", "--state", "active"},
       "drover: error: --state: must be one of failed, completed; got 'active' (see drover queue retry --help)\n"},
      {{"workers", "--port", "0"},
       "drover: error: --port: must be a port number from 1 to 65535, got 0 (see drover workers --help)\n"},
      {{"dashboard", "--port", "70000"},
       "drover: error: --port: must be a port number from 1 to 65535, got 70000 (see drover dashboard --help)\n"},
      {{"dlq", "bogus", "-q", "q"},
       "drover: error: action: must be one of list, show, requeue, requeue-all; got 'bogus' (see drover dlq "
       "--help)\n"},
      {{"schedule", "get", "-q", "q", "--id", "hb", "--repeat", R"({"every":1000})"},
       "drover: error: --repeat: applies to schedule upsert only, not get (see drover schedule --help)\n"},
      {{"worker", "-q", "shq", "--shards", "2", "--dead-letter-queue", "elsewhere"},
       "drover: error: --dead-letter-queue: with --shards each shard has a dead-letter queue of its own, named "
       "<shard>-dlq (drover dlq list -q '<shard>'; drover queue list shows the shards): give shq-dlq to turn them on, "
       "got 'elsewhere' (see drover worker --help)\n"},
      {{"schedule", "remove", "-q", "q", "--id", "hb", "--data", "{}"},
       "drover: error: --data: applies to schedule upsert only, not remove (see drover schedule --help)\n"},
  };
  for (const auto& c : cases) {
    CLI::App app{"drover"};
    app.require_subcommand(1);
    command_registry registry(app, drover_commands());
    std::vector<const char*> argv{"drover"};
    for (const auto& a : c.args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    EXPECT_EQ(registry.run(static_cast<int>(argv.size()), argv.data(), out, err), exit_code::usage) << c.err;
    EXPECT_EQ(err.str(), c.err);
  }
}

// A flag missing or wrong for what the command was asked to do is a usage error like a
// missing --id: exit 2, the flag named, "(see drover CMD --help)". Before, these ran and
// failed with exit 1 ("dlq show needs --id", "rate limiter needs max >= 1 ..."), or Redis
// answered ("ERR Invalid stream ID"), or the flag was silently ignored (--key).
TEST(command_registry, drover_names_the_flag_a_usage_error_is_about) {
  struct usage_case {
    std::vector<std::string> args;
    const char* err;
  };
  const std::vector<usage_case> cases{
      {{"dlq", "show", "--queue", "q"}, "drover: error: --id is required for dlq show (see drover dlq --help)\n"},
      {{"dlq", "requeue", "--queue", "q"}, "drover: error: --id is required for dlq requeue (see drover dlq --help)\n"},
      {{"flow", "add", "--queue", "r"}, "drover: error: --tree or --file is required (see drover flow add --help)\n"},
      {{"worker", "--queue", "q", "--limit-max", "5"},
       "drover: error: --limit-max requires --limit-duration (see drover worker --help)\n"},
      {{"worker", "--queue", "q", "--limit-max", "5", "--limit-duration", "0"},
       "drover: error: --limit-duration: must be a positive integer with --limit-max, got 0 (see drover worker "
       "--help)\n"},
      {{"schedule", "upsert", "-q", "q", "--id", "x"},
       "drover: error: --repeat is required for schedule upsert: {\"pattern\": \"<cron>\"} or {\"every\": <ms>} (see "
       "drover schedule --help)\n"},
      {{"schedule", "upsert", "-q", "q", "--id", "x", "--repeat", R"({"tz": "UTC"})"},
       "drover: error: --repeat: needs \"pattern\" (a cron expression) or \"every\" (ms), e.g. {\"every\": 60000} "
       "(see drover schedule --help)\n"},
      {{"events", "--queue", "q", "--from", "bogus"},
       "drover: error: --from: must be $, 0, <ms> or <ms>-<seq> (a \"streamId\" printed before), got bogus (see "
       "drover events --help)\n"},
      {{"add", "--queue", "q", "--name", "n", "--key", "k"},
       "drover: error: --key requires --shards (see drover add --help)\n"},
      {{"add", "--queue", "", "--name", "n"}, "drover: error: --queue: must not be empty (see drover add --help)\n"},
      {{"queue", "counts", "-q", ""}, "drover: error: --queue: must not be empty (see drover queue counts --help)\n"},
      {{"flow", "add", "--queue", "", "--tree", "{}"},
       "drover: error: --queue: must not be empty (see drover flow add --help)\n"},
  };
  // Parsed first: a line these checks let through must fail here, not run the command (a
  // worker, an events reader) against whatever Redis is there. Then run as main() does.
  for (const auto& c : cases) {
    std::vector<const char*> argv{"drover"};
    for (const auto& a : c.args) argv.push_back(a.c_str());
    {
      CLI::App app{"drover"};
      app.require_subcommand(1);
      command_registry registry(app, drover_commands());
      bool refused = false;
      try {
        app.parse(static_cast<int>(argv.size()), argv.data());
      } catch (const CLI::ParseError&) {
        refused = true;
      }
      if (!refused) {
        ADD_FAILURE() << "accepted; wanted " << c.err;
        continue;
      }
    }
    CLI::App app{"drover"};
    app.require_subcommand(1);
    command_registry registry(app, drover_commands());
    std::ostringstream out, err;
    EXPECT_EQ(registry.run(static_cast<int>(argv.size()), argv.data(), out, err), exit_code::usage) << c.err;
    EXPECT_EQ(err.str(), c.err);
    EXPECT_EQ(out.str(), "") << c.err;
  }
}

// What those checks must still let through, stopped here before anything runs: a usage
// error would come from parsing, so a parse that succeeds is enough.
TEST(command_registry, drover_accepts_what_the_usage_checks_allow) {
  const std::vector<std::vector<std::string>> lines{
      {"dlq", "list", "--queue", "q"},
      {"dlq", "requeue-all", "--queue", "q"},
      {"dlq", "show", "--queue", "q", "--id", "7"},
      {"flow", "add", "--file", "tree.json"},
      {"worker", "--queue", "q", "--limit-max", "5", "--limit-duration", "1000"},
      {"worker", "--queue", "q", "--limit-max", "0"},
      {"schedule", "upsert", "-q", "q", "--id", "x", "--repeat", R"({"every": 1000})"},
      {"schedule", "upsert", "-q", "q", "--id", "x", "--repeat", R"({"pattern": "* * * * *"})"},
      {"schedule", "get", "-q", "q", "--id", "x"},
      {"events", "--queue", "q", "--from", "0"},
      {"events", "--queue", "q", "--from", "1733400000000-3"},
      {"add", "--queue", "q", "--name", "n", "--shards", "3", "--key", "k"},
  };
  for (const auto& line : lines) {
    CLI::App app{"drover"};
    app.require_subcommand(1);
    command_registry registry(app, drover_commands());
    std::vector<const char*> argv{"drover"};
    for (const auto& a : line) argv.push_back(a.c_str());
    std::string text;
    for (const auto& a : line) text += a + " ";
    EXPECT_NO_THROW(app.parse(static_cast<int>(argv.size()), argv.data())) << text;
  }
}

}  // namespace
}  // namespace drover::cli
