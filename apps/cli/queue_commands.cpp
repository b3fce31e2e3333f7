// queue_commands.cpp - `drover queue pause|resume|...|jobs|job|counts`: the actions on
// one queue. Human output by default, --json for scripts (the JSON shapes are those of
// Node's Queue methods, and the ones earlier drover versions printed).
//
// Exit codes: 0 done, 3 no such job (or nothing to do, as for remove), 1 an error
// (printed by main as "drover: error: ...").
#include "queue_commands.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <drover/error.hpp>
#include <drover/queue.hpp>

#include "cli_support.hpp"
#include "job_page.hpp"
#include "job_view.hpp"
#include "text_table.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

struct queue_flags {
  common_options common;
  bool json = false;
  std::string id;
  std::string state;
  std::string reason;  // cancel: why (goes to the job's stack trace)
  std::string value;   // progress, JSON
  std::string line;    // log line
  std::string search;  // jobs: id or name contains this
  long grace_ms = 0;
  long limit = 0;
  bool force = false;
  bool delayed = false;
  long start = 0;
  long end = -1;
  bool asc = false;
  bool ranged = false;  // jobs: --start/--end/--asc given: BullMQ's raw getJobs range
  long page = 1;
  long per_page = 20;
  bool paged = false;  // jobs: --page/--per-page/--search given
  bool with_paused = false;  // counts: "paused" too, as the top-level `drover counts` always printed
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void need_id(const queue_flags& f, const std::string& action) {
  if (f.id.empty()) throw error(errc::invalid_argument, fmt::format("queue {} needs --id", action));
}

// A one-line confirmation, or the same facts as a JSON object.
void done(const queue_flags& f, const std::string& human, json::object facts) {
  if (f.json) {
    std::cout << json::serialize(facts) << std::endl;
  } else {
    std::cout << human << std::endl;
  }
}

net::awaitable<void> print_counts(const queue_flags& f, queue& q) {
  // Without types: Node's getJobCounts() defaults, which leave out "paused".
  std::vector<std::string> types;
  if (f.with_paused) types = job_states();
  auto counts = co_await q.get_job_counts(std::move(types));
  if (f.json) {
    json::object o;
    for (const auto& [k, v] : counts) o[k] = v;
    std::cout << json::serialize(o) << std::endl;
    co_return;
  }
  auto paused = co_await q.is_paused();
  text_table t({"STATE", "JOBS"}, {text_table::align::left, text_table::align::right});
  for (const auto& state : job_states()) t.add_row({state, fmt::format("{}", counts[state])});
  std::cout << fmt::format("queue {}{}\n", f.common.queue, paused ? " (paused)" : "");
  t.print(std::cout);
  std::cout.flush();
}

net::awaitable<void> print_jobs(const queue_flags& f, queue& q) {
  std::vector<std::string> states;
  if (!f.state.empty()) states.push_back(f.state);
  if (f.ranged || (f.json && !f.paged)) {
    // BullMQ's getJobs(types, start, end, asc) as it is, for scripts.
    auto jobs = co_await q.get_jobs(std::move(states), f.start, f.end, f.asc);
    json::array out;
    for (const auto& j : jobs) out.push_back(j.to_json());
    std::cout << json::serialize(out) << std::endl;
    co_return;
  }
  job_page_request r;
  r.states = std::move(states);
  r.search = f.search;
  r.page = f.page;
  r.per_page = f.per_page;
  auto page = co_await read_job_page(q, std::move(r));
  if (f.json) {
    json::array out;
    for (const auto& [j, state] : page.jobs) {
      auto o = j.to_json();
      o["state"] = state;
      out.push_back(std::move(o));
    }
    std::cout << json::serialize(out) << std::endl;
    co_return;
  }
  if (page.jobs.empty()) {
    std::cout << fmt::format("no {}jobs{} in queue {}{}\n", f.state.empty() ? "" : f.state + " ",
                             f.search.empty() ? "" : " matching '" + f.search + "'", f.common.queue,
                             f.page > 1 ? fmt::format(" on page {}", f.page) : "");
    std::cout.flush();
    co_return;
  }
  print_job_table(std::cout, page.jobs, now_ms());
  auto first = (f.page - 1) * f.per_page + 1;
  auto last = first + static_cast<long>(page.jobs.size()) - 1;
  std::cout << fmt::format("jobs {}-{} of {}, newest first{}\n", first, last, page.total,
                           last < page.total ? fmt::format(" (--page {} for more)", f.page + 1) : "");
  std::cout.flush();
}

// Exit code 3 when there is no such job.
net::awaitable<int> print_job(const queue_flags& f, queue& q) {
  auto j = co_await q.get_job(f.id);
  if (!j) {
    std::cerr << fmt::format("drover: job {} not found in queue {}", f.id, f.common.queue) << std::endl;
    co_return 3;
  }
  auto state = co_await q.get_job_state(f.id);
  auto [logs, count] = co_await q.get_job_logs(f.id);
  if (f.json) {
    auto o = j->to_json();
    o["state"] = state;
    json::array lines;
    for (auto& l : logs) lines.emplace_back(l);
    o["logs"] = std::move(lines);
    std::cout << json::serialize(o) << std::endl;
  } else {
    print_job_detail(std::cout, *j, state, logs, now_ms());
    std::cout.flush();
  }
  co_return 0;
}

net::awaitable<void> print_schedulers(const queue_flags& f, queue& q) {
  auto schedulers = co_await q.get_job_schedulers(f.start, f.end, f.asc);
  if (f.json) {
    json::array out;
    for (const auto& s : schedulers) out.push_back(s.to_json());
    std::cout << json::serialize(out) << std::endl;
    co_return;
  }
  text_table t({"ID", "JOB NAME", "REPEAT", "NEXT", "RUNS"});
  for (const auto& s : schedulers) {
    auto repeat = s.pattern ? *s.pattern + (s.tz ? " " + *s.tz : "")
                            : (s.every ? "every " + format_duration(*s.every) : std::string("-"));
    t.add_row({s.key, s.name, repeat, format_time(s.next), fmt::format("{}", s.iteration_count.value_or(0))});
  }
  t.print(std::cout);
  std::cout.flush();
}

net::awaitable<int> run_action(const queue_flags& f, const std::string& a, queue& q) {
  const auto& name = f.common.queue;
  if (a == "pause") {
    co_await q.pause();
    done(f, fmt::format("queue {} paused", name), {{"queue", name}, {"paused", true}});
  } else if (a == "resume") {
    co_await q.resume();
    done(f, fmt::format("queue {} resumed", name), {{"queue", name}, {"paused", false}});
  } else if (a == "is-paused") {
    // "true"/"false" is both the human and the JSON answer.
    std::cout << (co_await q.is_paused() ? "true" : "false") << std::endl;
  } else if (a == "drain") {
    co_await q.drain(f.delayed);
    done(f, fmt::format("queue {} drained{}", name, f.delayed ? " (delayed jobs too)" : ""), {{"queue", name}});
  } else if (a == "clean") {
    std::string state = f.state.empty() ? std::string("completed") : f.state;
    std::chrono::milliseconds grace(f.grace_ms);
    auto ids = co_await q.clean(grace, f.limit, state);
    if (f.json) {
      json::array out;
      for (auto& id : ids) out.emplace_back(id);
      std::cout << json::serialize(out) << std::endl;
    } else {
      std::cout << fmt::format("removed {} {} job(s) from queue {}", ids.size(), state, name) << std::endl;
    }
  } else if (a == "obliterate") {
    co_await q.obliterate(f.force);
    done(f, fmt::format("queue {} obliterated", name), {{"queue", name}, {"obliterated", true}});
  } else if (a == "retry") {
    auto state = f.state.empty() ? std::string("failed") : f.state;
    if (f.id.empty()) {
      co_await q.retry_jobs(state);
      done(f, fmt::format("every {} job of queue {} moved back to wait", state, name), {{"queue", name}, {"state", state}});
    } else {
      co_await q.retry_job(f.id, state);
      done(f, fmt::format("job {} moved back to wait", f.id), {{"queue", name}, {"jobId", f.id}});
    }
  } else if (a == "promote") {
    if (f.id.empty()) {
      co_await q.promote_jobs();
      done(f, fmt::format("every delayed job of queue {} promoted", name), {{"queue", name}});
    } else {
      co_await q.promote(f.id);
      done(f, fmt::format("job {} promoted", f.id), {{"queue", name}, {"jobId", f.id}});
    }
  } else if (a == "remove") {
    need_id(f, a);
    auto removed = co_await q.remove(f.id);
    std::cout << (removed ? "true" : "false") << std::endl;
    co_return removed ? 0 : 3;
  } else if (a == "cancel") {
    need_id(f, a);
    auto outcome = co_await q.cancel(f.id, f.reason);
    done(f, fmt::format("job {}: {}", f.id, to_string(outcome)), {{"jobId", f.id}, {"outcome", to_string(outcome)}});
    if (outcome == cancel_outcome::not_found || outcome == cancel_outcome::already_finished) co_return 3;
  } else if (a == "jobs") {
    co_await print_jobs(f, q);
  } else if (a == "job") {
    need_id(f, a);
    co_return co_await print_job(f, q);
  } else if (a == "schedulers") {
    co_await print_schedulers(f, q);
  } else if (a == "counts") {
    co_await print_counts(f, q);
  } else if (a == "progress") {
    need_id(f, a);
    co_await q.update_progress(f.id, parse_json(f.value, "--value"));
    done(f, fmt::format("job {} progress {}", f.id, f.value), {{"jobId", f.id}});
  } else if (a == "log") {
    need_id(f, a);
    // The number of log lines, as Node's job.log() returns it.
    std::cout << co_await q.add_log(f.id, f.line) << std::endl;
  }
  co_return 0;
}

int run_queue(const queue_flags& f, const std::string& action) {
  net::io_context io;
  queue q(io.get_executor(), f.common.queue, queue_opts(f.common));
  int rc = 0;
  run_to_end(io, [&]() -> net::awaitable<void> { rc = co_await run_action(f, action, q); });
  return rc;
}

struct action_spec {
  const char* name;
  const char* help;
};

}  // namespace

int run_queue_view(const common_options& c, const std::string& action, const std::string& id, bool json) {
  queue_flags f;
  f.common = c;
  f.id = id;
  f.json = json;
  f.with_paused = true;
  return run_queue(f, action);
}

void add_queue_commands(CLI::App& app, std::function<int()>& run) {
  auto* q = app.add_subcommand("queue", "inspect and manage a queue (drover queue ACTION --help for each)");
  q->require_subcommand(1);
  static const action_spec actions[] = {
      {"pause", "stop workers from taking new jobs"},
      {"resume", "let workers take jobs again"},
      {"is-paused", "print true or false"},
      {"drain", "remove the waiting jobs (and delayed ones with --delayed)"},
      {"clean", "remove finished (or waiting, delayed, ...) jobs older than --grace"},
      {"obliterate", "remove the queue and every job in it"},
      {"retry", "move a failed job (--id) or every failed one back to wait"},
      {"promote", "run a delayed job (--id) or every delayed one now"},
      {"remove", "remove a job (prints true, or false and exits 3)"},
      {"cancel", "cancel a job: removed if waiting, stopped and failed if running"},
      {"jobs", "list jobs, newest first, a page at a time"},
      {"job", "show one job: fields, data, times, failure, stack trace, logs"},
      {"counts", "jobs per state"},
      {"progress", "set a job's progress (--value JSON)"},
      {"log", "append a line to a job's log (prints the number of lines)"},
      {"schedulers", "list the job schedulers (repeatable jobs)"},
  };
  for (const auto& spec : actions) {
    auto f = std::make_shared<queue_flags>();
    std::string a = spec.name;
    auto* cmd = q->add_subcommand(a, spec.help);
    add_common(cmd, f->common);
    add_json_flag(cmd, f->json);
    CLI::Option* start = nullptr;
    CLI::Option* end = nullptr;
    CLI::Option* asc = nullptr;
    CLI::Option* page = nullptr;
    CLI::Option* per_page = nullptr;
    if (a == "retry" || a == "promote" || a == "remove" || a == "cancel" || a == "job" || a == "progress" ||
        a == "log") {
      auto* id = cmd->add_option("--id", f->id, "job id");
      if (a != "retry" && a != "promote") id->required();
    }
    if (a == "cancel") cmd->add_option("--reason", f->reason, "why (kept in the cancelled job's stack trace)");
    if (a == "clean" || a == "retry" || a == "jobs") {
      cmd->add_option("--state", f->state,
                      a == "jobs"    ? "only this state: active, waiting, paused, prioritized, delayed, completed, failed"
                      : a == "clean" ? "completed (default), failed, wait, delayed, prioritized, paused, active"
                                     : "failed (default) or completed");
    }
    if (a == "clean") {
      cmd->add_option("--grace", f->grace_ms, "only jobs older than this, ms")->check(CLI::NonNegativeNumber);
      cmd->add_option("--limit", f->limit, "at most this many jobs (0: all)")->check(CLI::NonNegativeNumber);
    }
    if (a == "obliterate") cmd->add_flag("--force", f->force, "even with active jobs");
    if (a == "drain") cmd->add_flag("--delayed", f->delayed, "delayed jobs too");
    if (a == "jobs" || a == "schedulers") {
      start = cmd->add_option("--start", f->start, "first index (BullMQ's getJobs range, per state)");
      end = cmd->add_option("--end", f->end, "last index (-1: all)");
      asc = cmd->add_flag("--asc", f->asc, "oldest (or, for schedulers, soonest) first");
    }
    if (a == "jobs") {
      page = cmd->add_option("--page", f->page, "page number, from 1")->check(CLI::PositiveNumber)->capture_default_str();
      per_page = cmd->add_option("--per-page", f->per_page, "jobs per page")->check(CLI::PositiveNumber)->capture_default_str();
      cmd->add_option("--search", f->search, "only jobs whose id or name contains this");
    }
    if (a == "progress") cmd->add_option("--value", f->value, "JSON value")->required();
    if (a == "log") cmd->add_option("--line", f->line, "the line to append")->required();
    cmd->callback([&run, f, a, start, end, asc, page, per_page] {
      f->ranged = (start && start->count()) || (end && end->count()) || (asc && asc->count());
      f->paged = (page && page->count()) || (per_page && per_page->count()) || !f->search.empty();
      if (f->ranged && f->paged) {
        throw CLI::ValidationError("--start/--end/--asc", "cannot be combined with --page, --per-page or --search");
      }
      run = [f, a] { return run_queue(*f, a); };
    });
  }
}

}  // namespace drover::cli
