// main.cpp - the `drover` command line: parses the subcommand and runs it.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include <drover/error.hpp>

#include "app_commands.hpp"
#include "commands.hpp"
#include "dlq_command.hpp"

namespace {

void add_common(CLI::App* cmd, drover::cli::common_options& c) {
  cmd->add_option("--queue,-q", c.queue, "queue name")->required();
  cmd->add_option("--prefix", c.prefix, "key prefix")->capture_default_str();
  cmd->add_option("--redis", c.redis_url,
                  "redis://[user:password@]host:port/db (default: REDIS_URL, or REDIS_HOST, REDIS_PORT, "
                  "REDIS_PASSWORD, or 127.0.0.1:6379)");
}

}  // namespace

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

  drover::cli::add_command add;
  auto* a = app.add_subcommand("add", "add a job and print its id");
  add_common(a, add.common);
  a->add_option("--name,-n", add.name, "job name")->required();
  a->add_option("--data,-d", add.data, "job data, JSON")->capture_default_str();
  a->add_option("--opts,-o", add.opts, "job options, JSON with BullMQ's names (jobId, delay, priority, attempts, "
                                       "backoff, lifo, removeOnComplete, removeOnFail, ...)")
      ->capture_default_str();

  drover::cli::common_options counts;
  auto* c = app.add_subcommand("counts", "print the number of jobs per state as JSON");
  add_common(c, counts);

  drover::cli::common_options job;
  std::string job_id;
  auto* j = app.add_subcommand("job", "print a job as JSON (the fields of BullMQ's job.toJSON(), state and logs)");
  add_common(j, job);
  j->add_option("--id", job_id, "job id")->required();

  drover::cli::events_command events;
  auto* e = app.add_subcommand("events", "print the queue's events, one JSON object per line, until interrupted");
  add_common(e, events.common);
  e->add_option("--from", events.from, "stream id to start after ($: only new events, 0: all kept)")
      ->capture_default_str();

  drover::cli::queue_command qc;
  auto* q = app.add_subcommand("queue", "inspect and manage a queue");
  q->add_option("action", qc.action,
                "pause, resume, is-paused, drain, clean, obliterate, retry, promote, remove, cancel, jobs, counts, progress, "
                "log, schedulers")
      ->required()
      ->check(CLI::IsMember({"pause", "resume", "is-paused", "drain", "clean", "obliterate", "retry", "promote", "remove",
                             "cancel", "jobs", "counts", "progress", "log", "schedulers"}));
  add_common(q, qc.common);
  q->add_option("--id", qc.id, "job id (retry, promote, remove, cancel, progress, log)");
  q->add_option("--reason", qc.reason, "cancel: why (kept in the cancelled job's stack trace)");
  q->add_option("--state", qc.state, "job state (clean, retry, jobs)");
  q->add_option("--grace", qc.grace_ms, "clean: only jobs older than this, ms")->check(CLI::NonNegativeNumber);
  q->add_option("--limit", qc.limit, "clean: at most this many jobs (0: all)")->check(CLI::NonNegativeNumber);
  q->add_flag("--force", qc.force, "obliterate: even with active jobs");
  q->add_flag("--delayed", qc.delayed, "drain: delayed jobs too");
  q->add_option("--start", qc.start, "jobs, schedulers: first index");
  q->add_option("--end", qc.end, "jobs, schedulers: last index (-1: all)");
  q->add_flag("--asc", qc.asc, "jobs: oldest first; schedulers: soonest first");
  q->add_option("--value", qc.value, "progress: JSON value");
  q->add_option("--line", qc.line, "log: the line to append");

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

  std::function<int()> app_run;
  drover::cli::add_app_commands(app, app_run);
  drover::cli::add_dlq_command(app, app_run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    return app.exit(err);
  }

  try {
    if (app_run) return app_run();
    if (*w) return drover::cli::run_worker(worker);
    if (*a) return drover::cli::run_add(add);
    if (*c) return drover::cli::run_counts(counts);
    if (*j) return drover::cli::run_job(job, job_id);
    if (*e) return drover::cli::run_events(events);
    if (*q) return drover::cli::run_queue(qc);
    if (*s) return drover::cli::run_schedule(sc);
  } catch (const std::exception& ex) {
    std::cerr << "drover: error: " << ex.what() << std::endl;
    return 1;
  }
  return 0;
}
