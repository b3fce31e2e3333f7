// main.cpp - the `drover` command line: parses the subcommand and runs it.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include <drover/error.hpp>

#include "app_commands.hpp"
#include "bulk_add.hpp"
#include "cli_support.hpp"
#include "completion.hpp"
#include "commands.hpp"
#include "dlq_command.hpp"
#include "queue_commands.hpp"
#include "top_command.hpp"

using drover::cli::add_common;
using drover::cli::add_json_flag;

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_st("drover"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"drover - background jobs for C++, wire-compatible with BullMQ"};
  app.require_subcommand(1);

  drover::cli::worker_command worker;
  auto* w = app.add_subcommand("worker", "process jobs of a queue with a built-in processor");
  add_common(w, worker.common);
  w->add_option("--concurrency,-c", worker.concurrency, "jobs run at once")->check(CLI::PositiveNumber)->capture_default_str();
  w->add_option("--processor,-p", worker.processor, "noop, echo, sleep, fail, flaky, progress or cpu")
      ->capture_default_str();
  w->add_option("--name", worker.name, "worker name (processedBy, CLIENT LIST)");
  w->add_option("--lock-duration", worker.lock_duration_ms, "lock duration, ms")->check(CLI::PositiveNumber)->capture_default_str();
  w->add_option("--stalled-interval", worker.stalled_interval_ms, "stalled check interval, ms")->check(CLI::PositiveNumber)->capture_default_str();
  w->add_option("--max-stalled", worker.max_stalled, "stalls before a job fails")->check(CLI::NonNegativeNumber)->capture_default_str();
  w->add_option("--drain-delay", worker.drain_delay_ms, "longest wait on an empty queue, ms")->check(CLI::PositiveNumber)->capture_default_str();
  w->add_option("--limit-max", worker.limit_max, "rate limit: jobs per window (0: none)")->check(CLI::NonNegativeNumber);
  w->add_option("--limit-duration", worker.limit_duration_ms, "rate limit: window, ms")->check(CLI::NonNegativeNumber);
  w->add_option("--metrics", worker.metrics_points, "keep BullMQ's per-minute metrics with this many points (0: off)")
      ->check(CLI::NonNegativeNumber);
  w->add_option("--default-timeout", worker.default_timeout_ms, "time allowed to a job without a timeout of its own, ms (0: none)")
      ->check(CLI::NonNegativeNumber);
  w->add_option("--dead-letter-queue", worker.dead_letter_queue,
                "copy jobs that fail for good to this queue (usually <queue>-dlq; default: none)");
  w->add_option("--shutdown-grace", worker.shutdown_grace_ms, "on SIGTERM/SIGINT, wait this long for running jobs, ms")
      ->capture_default_str();

  bool always_json = true;  // counts, job, events, schedule: JSON is their only output
  drover::cli::add_command add;
  drover::cli::bulk_add_command bulk;
  auto* a = app.add_subcommand("add", "add a job and print its id, or every job of a JSON Lines file (--file)");
  add_common(a, add.common);
  auto* name = a->add_option("--name,-n", add.name, "job name");
  a->add_option("--data,-d", add.data, "job data, JSON")->capture_default_str();
  a->add_option("--opts,-o", add.opts, "job options, JSON with BullMQ's names (jobId, delay, priority, attempts, "
                                       "backoff, lifo, removeOnComplete, removeOnFail, ...)")
      ->capture_default_str();
  auto* file = a->add_option("--file,-f", bulk.file,
                             "add every job of this file ('-': stdin), one JSON object a line: "
                             "{\"name\": ..., \"data\": {...}, \"opts\": {...}}");
  a->add_option("--chunk", bulk.chunk, "--file: jobs per round trip")->check(CLI::PositiveNumber)->capture_default_str();
  a->add_flag("--json", bulk.json, "--file: print the summary as JSON");
  file->excludes(name);
  a->callback([name, file] {
    if (!name->count() && !file->count()) throw CLI::RequiredError("--name or --file");
  });

  drover::cli::common_options counts;
  auto* c = app.add_subcommand("counts", "print the number of jobs per state as JSON (`queue counts`: a table)");
  add_common(c, counts);
  add_json_flag(c, always_json);

  drover::cli::common_options job;
  std::string job_id;
  auto* j = app.add_subcommand("job", "print a job as JSON: BullMQ's job.toJSON(), state and logs (`queue job`: for people)");
  add_common(j, job);
  add_json_flag(j, always_json);
  j->add_option("--id", job_id, "job id")->required();

  drover::cli::events_command events;
  auto* e = app.add_subcommand("events", "print the queue's events, one JSON object per line, until interrupted");
  add_common(e, events.common);
  add_json_flag(e, always_json);
  e->add_option("--from", events.from, "stream id to start after ($: only new events, 0: all kept)")
      ->capture_default_str();

  drover::cli::schedule_command sc;
  auto* s = app.add_subcommand("schedule", "create, replace, show or remove a job scheduler (repeatable job)");
  s->add_option("action", sc.action, "upsert, remove, get")->required()->check(CLI::IsMember({"upsert", "remove", "get"}));
  add_common(s, sc.common);
  s->add_option("--id", sc.id, "the scheduler's id")->required();
  s->add_option("--repeat", sc.repeat,
                "upsert: JSON {pattern | every, tz, startDate, endDate, limit, immediately, offset}");
  s->add_option("--name", sc.name, "upsert: the jobs' name (default: the id)");
  s->add_option("--data", sc.data, "upsert: the jobs' data, JSON")->capture_default_str();
  s->add_option("--opts", sc.opts, "upsert: the jobs' options, JSON")->capture_default_str();
  add_json_flag(s, always_json);

  std::function<int()> app_run;
  drover::cli::add_app_commands(app, app_run);
  drover::cli::add_dlq_command(app, app_run);
  drover::cli::add_queue_commands(app, app_run);
  drover::cli::add_top_commands(app, app_run);  // after queue: adds `queue list`
  drover::cli::add_completion_command(app, app_run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    return app.exit(err);
  }

  try {
    if (app_run) return app_run();
    if (*w) return drover::cli::run_worker(worker);
    if (*a) {
      if (!bulk.file.empty()) {
        bulk.common = add.common;
        return drover::cli::run_bulk_add(bulk);
      }
      return drover::cli::run_add(add);
    }
    if (*c) return drover::cli::run_queue_view(counts, "counts", {}, true);
    if (*j) return drover::cli::run_queue_view(job, "job", job_id, true);
    if (*e) return drover::cli::run_events(events);
    if (*s) return drover::cli::run_schedule(sc);
  } catch (const std::exception& ex) {
    std::cerr << "drover: error: " << ex.what() << std::endl;
    return 1;
  }
  return 0;
}
