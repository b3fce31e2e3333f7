// completion.cpp - walks the CLI11 app into a table of command paths (each with its
// subcommands, flags, options taking a value and the choices of its positionals),
// then prints that table as a bash or a zsh function. Both functions find the command
// path in the words typed so far, and complete what that path accepts next.
#include "completion.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "commands.hpp"
#include "flag_checks.hpp"

namespace drover::cli {

namespace {

struct word {
  std::string name;
  std::string help;
};

struct value_option {
  std::vector<std::string> names;    // --queue, -q
  std::vector<std::string> choices;  // from an IsMember check, if any
  bool file = false;                 // complete file names
};

struct command_path {
  std::string path;  // "drover queue jobs"
  std::vector<word> subcommands;
  std::vector<word> flags;  // options with no value, and the value options by name
  std::vector<value_option> values;
  std::vector<std::string> positional_choices;
};

// "TEXT:{bash,zsh}" -> {bash, zsh}.
std::vector<std::string> choices_of(const CLI::Option* opt) {
  auto type = opt->get_type_name();
  auto open = type.find('{');
  auto close = type.find('}', open);
  std::vector<std::string> out;
  if (open == std::string::npos || close == std::string::npos) return out;
  std::stringstream list(type.substr(open + 1, close - open - 1));
  for (std::string item; std::getline(list, item, ',');) {
    auto b = item.find_first_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b));
  }
  return out;
}

void collect(CLI::App& app, const std::string& path, std::vector<command_path>& out) {
  command_path p;
  p.path = path;
  auto subs = app.get_subcommands([](CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); });
  for (auto* s : subs) p.subcommands.push_back({s->get_name(), s->get_description()});
  for (const auto* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (opt->get_positional() && opt->get_lnames().empty() && opt->get_snames().empty()) {
      auto choices = choices_of(opt);
      p.positional_choices.insert(p.positional_choices.end(), choices.begin(), choices.end());
      continue;
    }
    std::vector<std::string> names;
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
    if (names.empty()) continue;
    p.flags.push_back({names.front(), opt->get_description()});
    if (opt->get_expected_max() > 0) {  // flags expect no value
      value_option v{names, choices_of(opt), false};
      v.file = opt->get_type_name().find("FILE") != std::string::npos ||
               std::find(names.begin(), names.end(), "--file") != names.end();
      p.values.push_back(std::move(v));
    }
  }
  out.push_back(std::move(p));
  for (auto* s : subs) collect(*s, path + " " + s->get_name(), out);
}

std::string join(const std::vector<std::string>& v, const char* sep) { return fmt::format("{}", fmt::join(v, sep)); }

// Single-quoted for the shell: ' becomes '\''.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> names_of(const std::vector<word>& words) {
  std::vector<std::string> out;
  for (const auto& w : words) out.push_back(w.name);
  return out;
}

std::string function_name(const std::string& program) {
  std::string f = "_";
  for (char c : program) f += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return f;
}

std::string subcommand_patterns(const std::vector<command_path>& paths) {
  std::vector<std::string> patterns;
  for (const auto& p : paths) {
    for (const auto& s : p.subcommands) patterns.push_back(quoted(p.path + " " + s.name));
  }
  return join(patterns, "|");
}

// What bash and zsh spell differently in the walk of find_command_path.
struct shell_words {
  int first;            // the index of the first word after the program
  const char* current;  // the index of the word being completed
  const char* words;    // the array of the words typed
  const char* open;     // a case pattern of the shell: open, the patterns, close
  const char* close;
};

// Both scripts: $cmdpath follows the words typed before the current one while they
// name subcommands, then a case arm for each command path (the caller writes them).
std::string find_command_path(const std::vector<command_path>& paths, const shell_words& sh) {
  auto word = fmt::format("${{{}[i]}}", sh.words);
  auto arm = sh.open + subcommand_patterns(paths) + sh.close;
  return fmt::format(
      "  for ((i = {0}; i < {1}; i++)); do\n"
      "    case \"$cmdpath {2}\" in\n"
      "      {3}cmdpath=\"$cmdpath {2}\" ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$cmdpath\" in\n",
      sh.first, sh.current, word, arm);
}

// The options of a command path that take a value, those of them whose value is a file
// name, and the allowed values of those that have choices, by option name.
struct path_values {
  std::vector<std::string> values, files;
  std::vector<std::pair<std::string, std::vector<std::string>>> choices;
};

path_values value_options_of(const command_path& p) {
  path_values out;
  for (const auto& v : p.values) {
    out.values.insert(out.values.end(), v.names.begin(), v.names.end());
    if (v.file) out.files.insert(out.files.end(), v.names.begin(), v.names.end());
    if (v.choices.empty()) continue;
    for (const auto& n : v.names) out.choices.emplace_back(n, v.choices);
  }
  return out;
}

// The end of a command path's case arm: after an option with choices, those choices.
std::string end_of_arm(const std::string& choice_cases) {
  std::string s;
  if (!choice_cases.empty()) s += fmt::format("      case \"$prev\" in{} esac\n", choice_cases);
  return s + "      ;;\n";
}

std::string bash_script(const std::vector<command_path>& paths, const std::string& program) {
  auto fn = function_name(program);
  std::string s = fmt::format(
      "# bash completion for {0}, generated by `{0} completion bash`.\n"
      "# Load it with: source <({0} completion bash)\n"
      "{1}() {{\n"
      "  local cur=\"${{COMP_WORDS[COMP_CWORD]}}\" prev=\"${{COMP_WORDS[COMP_CWORD-1]}}\"\n"
      "  local cmdpath={2} i words=\"\" values=\"\" choices=\"\" files=\"\"\n",
      program, fn, quoted(program));
  s += find_command_path(paths, {1, "COMP_CWORD", "COMP_WORDS", "", ") "});
  for (const auto& p : paths) {
    std::vector<std::string> words = names_of(p.subcommands);
    auto flags = names_of(p.flags);
    words.insert(words.end(), p.positional_choices.begin(), p.positional_choices.end());
    words.insert(words.end(), flags.begin(), flags.end());
    auto v = value_options_of(p);
    std::string choice_cases;
    for (const auto& [name, choices] : v.choices)
      choice_cases += fmt::format(" {}) choices={} ;;", name, quoted(join(choices, " ")));
    s += fmt::format("    {})\n      words={}\n      values={}\n      files={}\n", quoted(p.path),
                     quoted(join(words, " ")), quoted(" " + join(v.values, " ") + " "),
                     quoted(" " + join(v.files, " ") + " "));
    s += end_of_arm(choice_cases);
  }
  s += fmt::format(
      "  esac\n"
      "  if [[ -n \"$choices\" ]]; then COMPREPLY=($(compgen -W \"$choices\" -- \"$cur\")); return; fi\n"
      "  if [[ \"$files\" == *\" $prev \"* ]]; then COMPREPLY=($(compgen -f -- \"$cur\")); return; fi\n"
      "  # After an option that takes a value, the value is free text.\n"
      "  if [[ \"$values\" == *\" $prev \"* ]]; then COMPREPLY=(); return; fi\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "}}\n"
      "complete -F {} {}\n",
      fn, program);
  return s;
}

// 'name:description' items for zsh's _describe (a colon in a name is escaped).
std::string described(const std::vector<word>& words) {
  std::vector<std::string> items;
  for (const auto& w : words) {
    std::string name;
    for (char c : w.name) name += c == ':' ? std::string("\\:") : std::string(1, c);
    auto help = w.help.substr(0, w.help.find('\n'));
    items.push_back(quoted(name + ":" + help));
  }
  return "(" + join(items, " ") + ")";
}

std::string zsh_script(const std::vector<command_path>& paths, const std::string& program) {
  auto fn = function_name(program);
  std::string s = fmt::format(
      "#compdef {0}\n"
      "# zsh completion for {0}, generated by `{0} completion zsh`.\n"
      "# Load it after compinit with: source <({0} completion zsh)\n"
      "{1}() {{\n"
      "  local cmdpath={2} i prev=${{words[CURRENT-1]}}\n"
      "  local -a subs opts plain values files choices\n",
      program, fn, quoted(program));
  s += find_command_path(paths, {2, "CURRENT", "words", "(", ") "});
  for (const auto& p : paths) {
    auto v = value_options_of(p);
    std::string choice_cases;
    for (const auto& [name, choices] : v.choices)
      choice_cases += fmt::format(" ({}) choices=({}) ;;", name, join(choices, " "));
    s += fmt::format("    ({})\n      subs={}\n      opts={}\n      plain=({})\n      values=({})\n      files=({})\n",
                     quoted(p.path), described(p.subcommands), described(p.flags), join(p.positional_choices, " "),
                     join(v.values, " "), join(v.files, " "));
    s += end_of_arm(choice_cases);
  }
  s += fmt::format(
      "  esac\n"
      "  if (( ${{#choices}} )); then compadd -a choices; return; fi\n"
      "  if (( ${{files[(Ie)$prev]}} )); then _files; return; fi\n"
      "  # After an option that takes a value, the value is free text.\n"
      "  if (( ${{values[(Ie)$prev]}} )); then return 1; fi\n"
      "  if [[ ${{words[CURRENT]}} == -* ]]; then\n"
      "    _describe -t options option opts\n"
      "  else\n"
      "    _describe -t commands command subs\n"
      "    (( ${{#plain}} )) && compadd -a plain\n"
      "    _describe -t options option opts\n"
      "  fi\n"
      "}}\n"
      "compdef {} {}\n",
      fn, program);
  return s;
}

}  // namespace

std::string completion_script(CLI::App& app, const std::string& program, const std::string& shell) {
  std::vector<command_path> paths;
  collect(app, program, paths);
  if (shell == "bash") return bash_script(paths, program);
  if (shell == "zsh") return zsh_script(paths, program);
  throw std::invalid_argument(fmt::format("no completion for shell '{}' (known: bash, zsh)", shell));
}

namespace {

struct completion_flags {
  std::string shell;
  CLI::App* app = nullptr;  // the app the command is added to: the one it describes
};

void add_completion_options(CLI::App& cmd, completion_flags& f) {
  f.app = cmd.get_parent();
  cmd.add_option("shell", f.shell, "bash or zsh")->required()->check(one_of({"bash", "zsh"}));
}

int run_completion(const completion_flags& f) {
  std::cout << completion_script(*f.app, "drover", f.shell);
  return 0;
}

}  // namespace

command completion_command() {
  return make_command<completion_flags>("completion",
                                        "print a shell completion script: source <(drover completion bash)",
                                        add_completion_options, run_completion);
}

}  // namespace drover::cli
