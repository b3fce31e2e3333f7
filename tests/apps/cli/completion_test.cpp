// completion_test.cpp - the completion scripts are written from the CLI11 app: a
// subcommand, an option or a choice added to the app shows up in them, and bash and zsh
// accept them as valid syntax.
#include "completion.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace drover::cli {
namespace {

struct sample_app {
  CLI::App app{"sample"};
  std::string queue, state, file;
  bool json = false;
  sample_app() {
    auto* q = app.add_subcommand("queue", "manage a queue");
    auto* jobs = q->add_subcommand("jobs", "list jobs");
    jobs->add_option("--queue,-q", queue, "queue name");
    jobs->add_option("--state", state, "state")->check(CLI::IsMember({"active", "failed"}));
    jobs->add_flag("--json", json, "JSON output");
    auto* add = app.add_subcommand("add", "add jobs; it's quoted");
    add->add_option("--file", file, "a file");
    std::string shell;
    app.add_subcommand("completion", "print a script")
        ->add_option("shell", shell)
        ->check(CLI::IsMember({"bash", "zsh"}));
  }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Runs `shell -n` (syntax check only) on the script.
int syntax_check(const std::string& shell, const std::string& script) {
  std::string path = ::testing::TempDir() + "drover-completion." + shell;
  std::ofstream(path) << script;
  return std::system((shell + " -n " + path + " 2>&1").c_str());
}

TEST(completion, bash_script_knows_every_path_option_and_choice) {
  sample_app s;
  auto script = completion_script(s.app, "drover", "bash");
  EXPECT_TRUE(contains(script, "complete -F _drover drover"));
  EXPECT_TRUE(contains(script, "'drover queue jobs')")) << script;
  EXPECT_TRUE(contains(script, "'drover queue'|'drover add'|'drover completion'|'drover queue jobs'")) << script;
  EXPECT_TRUE(contains(script, "words='jobs --help'")) << script;
  EXPECT_TRUE(contains(script, "words='--help --queue --state --json'")) << script;
  EXPECT_TRUE(contains(script, "values=' --queue -q --state '")) << script;
  EXPECT_TRUE(contains(script, "--state) choices='active failed'")) << script;
  EXPECT_TRUE(contains(script, "words='bash zsh --help'")) << script;
  EXPECT_TRUE(contains(script, "files=' --file '")) << script;
  if (std::system("command -v bash >/dev/null 2>&1") == 0) {
    EXPECT_EQ(syntax_check("bash", script), 0) << script;
  }
}

TEST(completion, zsh_script_describes_subcommands_and_options) {
  sample_app s;
  auto script = completion_script(s.app, "drover", "zsh");
  EXPECT_TRUE(contains(script, "compdef _drover drover"));
  EXPECT_TRUE(contains(script, "subs=('jobs:list jobs')")) << script;
  EXPECT_TRUE(contains(script, "'add:add jobs; it'\\''s quoted'")) << script;
  EXPECT_TRUE(contains(script, "'--json:JSON output'")) << script;
  EXPECT_TRUE(contains(script, "(--state) choices=(active failed)")) << script;
  if (std::system("command -v zsh >/dev/null 2>&1") == 0) {
    EXPECT_EQ(syntax_check("zsh", script), 0) << script;
  }
}

TEST(completion, refuses_an_unknown_shell) {
  sample_app s;
  EXPECT_THROW(completion_script(s.app, "drover", "fish"), std::invalid_argument);
}

}  // namespace
}  // namespace drover::cli
