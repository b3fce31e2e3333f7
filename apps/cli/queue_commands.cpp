// queue_commands.cpp - `drover queue ACTION`: one command per action, each with its own
// flags, --help and --json; and the top-level `drover counts` and `drover job`, which
// are `queue counts` and `queue job` printing JSON only (scripts have used them so).
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "cli_support.hpp"
#include "commands.hpp"
#include "job_page.hpp"
#include "queue_actions.hpp"

namespace drover::cli {

namespace {

// The flags of one action beyond --queue, --prefix, --redis and --json.
using action_flags = void (*)(CLI::App& cmd, queue_flags& f);

struct action_spec {
  const char* name;
  const char* help;
  action_flags add_flags;
  queue_action act;
  queue_confirmation confirm = nullptr;  // asked first on a terminal (removes unrun jobs)
};

void no_flags(CLI::App&, queue_flags&) {}

void add_id(CLI::App& cmd, queue_flags& f) { cmd.add_option("--id", f.id, "job id")->required()->check(non_empty()); }
// Without --id the action takes every job of the state: an empty one is refused.
void add_optional_id(CLI::App& cmd, queue_flags& f) { cmd.add_option("--id", f.id, "job id")->check(non_empty()); }

// --start/--end/--asc: BullMQ's raw range, for jobs and schedulers.
void add_range(CLI::App& cmd, queue_flags& f, CLI::Option*& start, CLI::Option*& end, CLI::Option*& asc) {
  start = cmd.add_option("--start", f.start, "first index (BullMQ's range: getJobs' per state, getJobSchedulers')");
  end = cmd.add_option("--end", f.end, "last index (-1: all)");
  asc = cmd.add_flag("--asc", f.asc, "oldest (or, for schedulers, soonest) first");
}

// On a terminal, actions that remove jobs no worker has run ask first (cli_support.hpp).
void add_yes(CLI::App& cmd, queue_flags& f) {
  cmd.add_flag("-y,--yes", f.yes, "do not ask for confirmation (asked only on a terminal)");
}

void add_clean_flags(CLI::App& cmd, queue_flags& f) {
  add_yes(cmd, f);
  cmd.add_option("--state", f.state, "completed (default), failed, wait, delayed, prioritized, paused, active")
      ->check(one_of({"completed", "failed", "wait", "waiting", "delayed", "prioritized", "paused", "active"}));
  cmd.add_option("--grace", f.grace_ms, "only jobs older than this, ms (default 0: of any age)")
      ->check(non_negative<long>());
  cmd.add_option("--limit", f.limit, "at most this many jobs (0: all)")->check(non_negative<long>());
}

void add_retry_flags(CLI::App& cmd, queue_flags& f) {
  add_optional_id(cmd, f);
  cmd.add_option("--state", f.state, "failed (default) or completed")->check(one_of({"failed", "completed"}));
}

void add_cancel_flags(CLI::App& cmd, queue_flags& f) {
  add_id(cmd, f);
  cmd.add_option("--reason", f.reason, "why (kept in the cancelled job's stack trace)");
}

void add_jobs_flags(CLI::App& cmd, queue_flags& f) {
  // BullMQ's getJobs takes "wait" for "waiting" too, as scripts written for it do.
  static const std::vector<std::string> accepted = [] {
    auto states = job_states();
    states.insert(std::find(states.begin(), states.end(), "waiting") + 1, "wait");
    return states;
  }();
  cmd.add_option("--state", f.state, fmt::format("only this state: {}", fmt::join(job_states(), ", ")))
      ->check(one_of(accepted));
  CLI::Option *start, *end, *asc;
  add_range(cmd, f, start, end, asc);
  auto* page = cmd.add_option("--page", f.page, "page number, from 1")->check(positive<long>())->capture_default_str();
  auto* per_page =
      cmd.add_option("--per-page", f.per_page, "jobs per page")->check(positive<long>())->capture_default_str();
  cmd.add_option("--search", f.search, "only jobs whose id or name contains this");
  // A raw range and a page are two ways to ask; both at once is a mistake.
  cmd.callback([&f, start, end, asc, page, per_page] {
    f.ranged = start->count() || end->count() || asc->count();
    f.paged = page->count() || per_page->count() || !f.search.empty();
    if (f.ranged && f.paged) {
      throw CLI::ValidationError("--start/--end/--asc", "cannot be combined with --page, --per-page or --search");
    }
  });
}

void add_schedulers_flags(CLI::App& cmd, queue_flags& f) {
  CLI::Option *start, *end, *asc;
  add_range(cmd, f, start, end, asc);
}

void add_limits_flags(CLI::App& cmd, queue_flags& f) {
  cmd.add_option("--concurrency", f.concurrency, "set the global concurrency: jobs active at once, all workers")
      ->check(positive<long>());
  auto* max = cmd.add_option("--rate-max", f.rate_max, "set the global rate limit: jobs started per --rate-duration")
                  ->check(positive<long>());
  auto* duration = cmd.add_option("--rate-duration", f.rate_duration_ms, "the global rate limit's window, ms")
                       ->check(positive<long>());
  max->needs(duration);
  duration->needs(max);
  cmd.add_flag("--remove-concurrency", f.remove_concurrency, "remove the global concurrency")
      ->excludes("--concurrency");
  cmd.add_flag("--remove-rate-limit", f.remove_rate_limit, "remove the global rate limit")->excludes(max);
}

// The order is the order of `drover queue --help`.
const action_spec actions[] = {
    {"pause", "stop workers from taking new jobs", no_flags, pause_queue},
    {"resume", "let workers take jobs again", no_flags, resume_queue},
    {"is-paused", "print true or false", no_flags, print_is_paused},
    {"drain", "remove the waiting jobs (and delayed ones with --delayed)",
     [](CLI::App& cmd, queue_flags& f) {
       cmd.add_flag("--delayed", f.delayed, "delayed jobs too");
       add_yes(cmd, f);
     },
     drain_queue, confirm_drain},
    {"clean", "remove finished (or waiting, delayed, ...) jobs older than --grace", add_clean_flags, clean_queue,
     confirm_clean},
    {"obliterate", "remove the queue and every job in it",
     [](CLI::App& cmd, queue_flags& f) {
       cmd.add_flag("--force", f.force, "even with active jobs");
       add_yes(cmd, f);
     },
     obliterate_queue, confirm_obliterate},
    {"retry", "move a failed job (--id) or every failed one back to wait", add_retry_flags, retry_jobs},
    {"promote", "run a delayed job (--id) or every delayed one now", add_optional_id, promote_jobs},
    {"remove", "remove a job (prints true; false and exit 3 when missing, 1 when a worker holds it)", add_id,
     remove_job},
    {"cancel", "cancel a job: removed if waiting, stopped and failed if running", add_cancel_flags, cancel_job},
    {"jobs", "list jobs state by state, each in BullMQ's order (newest first), a page at a time", add_jobs_flags,
     print_jobs},
    {"job", "show one job: fields, data, times, failure, stack trace, logs", add_id, print_job},
    {"counts", "jobs per state (of the logical queue and each shard with --shards)",
     [](CLI::App& cmd, queue_flags& f) { add_shards_flag(&cmd, f.common); }, print_counts},
    {"progress", "set a job's progress (--value JSON)",
     [](CLI::App& cmd, queue_flags& f) {
       add_id(cmd, f);
       cmd.add_option("--value", f.value, "JSON value")->required();
     },
     set_progress},
    {"log", "append a line to a job's log (prints the number of lines)",
     [](CLI::App& cmd, queue_flags& f) {
       add_id(cmd, f);
       cmd.add_option("--line,--message", f.line, "the line to append (as job.log(message) in Node)")->required();
     },
     add_log_line},
    {"schedulers", "list the job schedulers (repeatable jobs)", add_schedulers_flags, print_schedulers},
    {"limits", "show (or set, or remove) the global concurrency and rate limit that every worker obeys",
     add_limits_flags, queue_limits},
};

command action_command(const action_spec& a) {
  return make_command<queue_flags>(
      std::string("queue ") + a.name, a.help,
      [add_flags = a.add_flags](CLI::App& cmd, queue_flags& f) {
        add_common(&cmd, f.common);
        add_json_flag(&cmd, f.json);
        add_flags(cmd, f);
      },
      [act = a.act, confirm = a.confirm](const queue_flags& f) { return run_queue_action(f, act, confirm); });
}

// A top-level JSON-only view: --json is accepted for uniform scripts, and changes nothing.
void add_json_view_flags(CLI::App& cmd, queue_flags& f) {
  f.json = true;
  f.with_paused = true;
  add_common(&cmd, f.common);
  add_json_flag(&cmd, f.json);
}

}  // namespace

std::vector<command> queue_commands() {
  std::vector<command> out;
  out.push_back(command_group("queue", "inspect and manage a queue (drover queue ACTION --help for each)"));
  for (const auto& a : actions) out.push_back(action_command(a));
  return out;
}

command counts_command() {
  return make_command<queue_flags>(
      "counts", "print the number of jobs per state as JSON (`queue counts`: a table)",
      [](CLI::App& cmd, queue_flags& f) {
        add_json_view_flags(cmd, f);
        add_shards_flag(&cmd, f.common);
      },
      [](const queue_flags& f) { return run_queue_action(f, print_counts); });
}

command job_command() {
  return make_command<queue_flags>(
      "job", "print a job as JSON: BullMQ's job.toJSON(), state and logs (`queue job`: for people)",
      [](CLI::App& cmd, queue_flags& f) {
        add_json_view_flags(cmd, f);
        cmd.add_option("--id", f.id, "job id")->required()->check(non_empty());
      },
      [](const queue_flags& f) { return run_queue_action(f, print_job); });
}

}  // namespace drover::cli
