// queue_actions.cpp - the bodies of `drover queue pause|resume|...|jobs|job|counts`.
#include "queue_actions.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <iostream>

#include <drover/error.hpp>
#include <drover/json.hpp>
#include <drover_app/queue_presence.hpp>
#include <drover_app/clock.hpp>

#include "cli_support.hpp"
#include "job_page.hpp"
#include "job_view.hpp"
#include "sharded_counts.hpp"
#include "sharded_name.hpp"
#include "text_table.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

// --id is required by the command line, but may still be given empty.
void need_id(const queue_flags& f, const char* action) {
  if (f.id.empty()) throw error(errc::invalid_argument, fmt::format("queue {} needs --id", action));
}

// A one-line confirmation, or the same facts as a JSON object.
void done(const queue_flags& f, const std::string& human, json::object facts) {
  if (f.json) {
    std::cout << drover::serialize_json(facts) << std::endl;
  } else {
    std::cout << human << std::endl;
  }
}

// The state `queue clean` removes from: --state, completed by default.
std::string clean_state(const queue_flags& f) { return f.state.empty() ? std::string("completed") : f.state; }

// How many jobs `q` holds in `states`, together.
net::awaitable<std::int64_t> jobs_in(queue& q, std::vector<std::string> states) {
  auto counts = co_await q.get_job_counts(std::move(states));
  std::int64_t n = 0;
  for (const auto& [state, count] : counts) n += count;
  co_return n;
}

}  // namespace

// A queue with no settings and no jobs in Redis is most likely a mistyped name (or prefix):
// the action still runs, as BullMQ's does (pausing a queue before its first job is
// legitimate, and its workers then start paused), but the operator is told.
// The check is advice: when it cannot read (an ACL, a timeout), the action goes on.
net::awaitable<void> warn_if_unknown(queue& q) {
  bool unknown = false;
  try {
    unknown = co_await app::queue_looks_unknown(q);
  } catch (const error&) {
    co_return;
  }
  if (!unknown) co_return;
  std::cerr << fmt::format(
                   "drover: warning: queue '{}' has no jobs and no settings under prefix '{}' in Redis; is the "
                   "name right?",
                   q.name(), q.prefix())
            << std::endl;
}

net::awaitable<int> pause_queue(const queue_flags& f, queue& q) {
  co_await warn_if_unknown(q);
  co_await q.pause();
  done(f, fmt::format("queue {} paused", f.common.queue), {{"queue", f.common.queue}, {"paused", true}});
  co_return 0;
}

net::awaitable<int> resume_queue(const queue_flags& f, queue& q) {
  co_await warn_if_unknown(q);
  co_await q.resume();
  done(f, fmt::format("queue {} resumed", f.common.queue), {{"queue", f.common.queue}, {"paused", false}});
  co_return 0;
}

net::awaitable<int> print_is_paused(const queue_flags&, queue& q) {
  // "true"/"false" is both the human and the JSON answer.
  std::cout << (co_await q.is_paused() ? "true" : "false") << std::endl;
  co_return 0;
}

net::awaitable<bool> confirm_drain(const queue_flags& f, queue& q) {
  // What BullMQ's drain removes: jobs waiting, paused or prioritized (delayed with --delayed).
  std::vector<std::string> states{"waiting", "paused", "prioritized"};
  if (f.delayed) states.push_back("delayed");
  const auto n = co_await jobs_in(q, std::move(states));
  const auto question = fmt::format("Remove the {} job(s) waiting{} in queue {}, which no worker has run?", n,
                                    f.delayed ? " or delayed" : "", f.common.queue);
  co_return n == 0 || confirmed(question);
}

net::awaitable<int> drain_queue(const queue_flags& f, queue& q) {
  co_await warn_if_unknown(q);
  co_await q.drain(f.delayed);
  done(f, fmt::format("queue {} drained{}", f.common.queue, f.delayed ? " (delayed jobs too)" : ""),
       {{"queue", f.common.queue}});
  co_return 0;
}

net::awaitable<bool> confirm_clean(const queue_flags& f, queue& q) {
  const auto state = clean_state(f);
  // Finished jobs are history, cleaned routinely; any other state holds work not done yet.
  if (state == "completed" || state == "failed") co_return true;
  std::vector<std::string> states{state == "wait" ? std::string("waiting") : state};
  const auto n = co_await jobs_in(q, std::move(states));
  const auto question = fmt::format("Remove {} jobs older than {} ms from queue {} ({} {} now)?", state, f.grace_ms,
                                    f.common.queue, n, state);
  co_return n == 0 || confirmed(question);
}

net::awaitable<int> clean_queue(const queue_flags& f, queue& q) {
  co_await warn_if_unknown(q);
  const auto state = clean_state(f);
  std::chrono::milliseconds grace(f.grace_ms);
  auto ids = co_await q.clean(grace, f.limit, state);
  if (f.json) {
    json::array out;
    for (auto& id : ids) out.emplace_back(id);
    std::cout << drover::serialize_json(out) << std::endl;
  } else {
    std::cout << fmt::format("removed {} {} job(s) from queue {}", ids.size(), state, f.common.queue) << std::endl;
  }
  co_return 0;
}

net::awaitable<bool> confirm_obliterate(const queue_flags& f, queue& q) {
  auto states = job_states();
  const auto n = co_await jobs_in(q, std::move(states));
  const auto question =
      fmt::format("Remove queue {} (prefix {}) and all {} of its jobs, for good?", f.common.queue, q.prefix(), n);
  co_return n == 0 || confirmed(question);
}

net::awaitable<int> obliterate_queue(const queue_flags& f, queue& q) {
  // BullMQ's obliterate pauses the queue first and leaves it paused when it refuses; the
  // command leaves it as it found it (an operator's refused obliterate stopped every job
  // of the queue), and says what to do, which BullMQ's refusal does not.
  const bool was_paused = co_await q.is_paused();
  std::optional<error> refused;
  try {
    co_await q.obliterate(f.force);
  } catch (const error& e) {
    if (!e.is(errc::not_in_state)) throw;
    refused = e;
  }
  if (refused) {
    if (!was_paused) co_await q.resume();
    if (std::string_view(refused->what()).find("active jobs") == std::string_view::npos) throw *refused;
    throw error(errc::not_in_state, fmt::format("{}: workers hold some of its jobs; stop them first, or obliterate "
                                                "anyway with --force (the queue is left as it was)",
                                                refused->what()));
  }
  done(f, fmt::format("queue {} obliterated", f.common.queue), {{"queue", f.common.queue}, {"obliterated", true}});
  co_return 0;
}

net::awaitable<int> retry_jobs(const queue_flags& f, queue& q) {
  const auto& name = f.common.queue;
  auto state = f.state.empty() ? std::string("failed") : f.state;
  if (f.id.empty()) {
    co_await warn_if_unknown(q);
    // Counted first ("every failed job moved back" with none failed told nothing); a
    // job that fails meanwhile is moved too and not counted.
    std::vector<std::string> states{state};  // named: GCC 12 and temporaries in co_await
    const auto n = co_await jobs_in(q, std::move(states));
    co_await q.retry_jobs(state);
    done(f, fmt::format("{} {} job(s) of queue {} moved back to wait", n, state, name),
         {{"queue", name}, {"state", state}, {"moved", n}});
  } else {
    try {
      co_await q.retry_job(f.id, state);
    } catch (const error& e) {
      if (!e.is(errc::not_in_state) && !e.is(errc::job_not_found)) throw;
      throw without_script_name(e);
    }
    done(f, fmt::format("job {} moved back to wait", f.id), {{"queue", name}, {"jobId", f.id}});
  }
  co_return 0;
}

net::awaitable<int> promote_jobs(const queue_flags& f, queue& q) {
  const auto& name = f.common.queue;
  if (f.id.empty()) {
    co_await warn_if_unknown(q);
    co_await q.promote_jobs();
    done(f, fmt::format("every delayed job of queue {} promoted", name), {{"queue", name}});
  } else {
    // BullMQ's promote script says "not in the delayed state" of a job that does not
    // exist as well: look, so that a missing job exits 3 as in the other actions.
    std::optional<error> not_delayed;
    try {
      co_await q.promote(f.id);
    } catch (const error& e) {
      if (!e.is(errc::not_in_state)) throw;
      not_delayed = e;
    }
    if (not_delayed) {
      auto j = co_await q.get_job(f.id);
      if (!j) co_return job_not_found(f.id, name);
      throw without_script_name(*not_delayed);
    }
    done(f, fmt::format("job {} promoted", f.id), {{"queue", name}, {"jobId", f.id}});
  }
  co_return 0;
}

net::awaitable<int> remove_job(const queue_flags& f, queue& q) {
  need_id(f, "remove");
  auto removed = co_await q.remove(f.id);
  std::cout << (removed ? "true" : "false") << std::endl;
  if (removed) co_return 0;
  // remove() answers false for a missing job and for one a worker holds alike.
  auto state = co_await q.get_job_state(f.id);
  if (!state) co_return job_not_found(f.id, q.name());
  std::cerr << fmt::format(
                   "drover: job {} in queue {} is {} and locked by a worker: not removed (`drover queue "
                   "cancel` stops it)",
                   f.id, q.name(), to_string(*state))
            << std::endl;
  co_return exit_code::failed;
}

net::awaitable<int> cancel_job(const queue_flags& f, queue& q) {
  need_id(f, "cancel");
  auto outcome = co_await q.cancel(f.id, f.reason);
  const auto say = [&] {
    done(f, fmt::format("job {}: {}", f.id, to_string(outcome)), {{"jobId", f.id}, {"outcome", to_string(outcome)}});
  };
  if (outcome == cancel_outcome::not_found) {
    if (f.json) say();  // a script reads the outcome; a person the line on stderr
    co_return job_not_found(f.id, q.name());
  }
  say();
  if (outcome == cancel_outcome::already_finished) {
    std::cerr << fmt::format("drover: job {} in queue {} has finished already: nothing to cancel", f.id, q.name())
              << std::endl;
    co_return exit_code::failed;
  }
  co_return 0;
}

net::awaitable<int> print_counts(const queue_flags& f, queue& q) {
  // Without types: Node's getJobCounts() defaults, which leave out "paused".
  std::vector<std::string> types;
  if (f.with_paused) types = job_states();
  auto counts = co_await q.get_job_counts(std::move(types));
  std::int64_t total = 0;
  for (const auto& [state, n] : counts) total += n;
  if (total == 0) co_await warn_if_unknown(q);  // all zeros: perhaps a mistyped name
  if (f.json) {
    json::object o;
    for (const auto& [k, v] : counts) o[k] = v;
    std::cout << drover::serialize_json(o) << std::endl;
    co_return 0;
  }
  auto paused = co_await q.is_paused();
  text_table t({"STATE", "JOBS"}, {text_table::align::left, text_table::align::right});
  for (const auto& state : job_states()) t.add_row({state, fmt::format("{}", counts[state])});
  std::cout << fmt::format("queue {}{}\n", f.common.queue, paused ? " (paused)" : "");
  t.print(std::cout);
  std::cout.flush();
  co_return 0;
}

net::awaitable<int> print_jobs(const queue_flags& f, queue& q) {
  std::vector<std::string> states;
  if (!f.state.empty()) states.push_back(f.state);
  if (f.ranged || (f.json && !f.paged)) {
    // BullMQ's getJobs(types, start, end, asc) as it is, for scripts.
    auto jobs = co_await q.get_jobs(std::move(states), f.start, f.end, f.asc);
    json::array out;
    for (const auto& j : jobs) out.push_back(j.to_json());
    std::cout << drover::serialize_json(out) << std::endl;
    co_return 0;
  }
  job_page_request r;
  r.states = std::move(states);
  r.search = f.search;
  r.page = f.page;
  r.per_page = f.per_page;
  r.whole_jobs = f.json;
  auto page = co_await read_job_page(q, std::move(r));
  if (f.json) {
    json::array out;
    for (const auto& [j, state] : page.jobs) {
      auto o = j.to_json();
      o["state"] = state;
      out.push_back(std::move(o));
    }
    std::cout << drover::serialize_json(out) << std::endl;
    co_return 0;
  }
  if (page.jobs.empty()) {
    if (f.state.empty() && f.search.empty() && f.page == 1) co_await warn_if_unknown(q);
    std::cout << fmt::format("no {}jobs{} in queue {}{}\n", f.state.empty() ? "" : f.state + " ",
                             f.search.empty() ? "" : " matching '" + f.search + "'", f.common.queue,
                             f.page > 1 ? fmt::format(" on page {}", f.page) : "");
    std::cout.flush();
    co_return 0;
  }
  print_job_table(std::cout, page.jobs, app::now_ms());
  auto first = (f.page - 1) * f.per_page + 1;
  auto last = first + static_cast<long>(page.jobs.size()) - 1;
  // BullMQ's order: delayed jobs by when they are due, not by when they were made (a time
  // review read "newest first" over 6, 5, 7, 4, 3); times are UTC, as the header says.
  const char* order = f.state == "delayed"       ? "latest due first"
                      : f.state == "prioritized" ? "in BullMQ's priority order"
                      : f.state.empty()          ? "state by state, newest first"
                                                 : "newest first";
  std::cout << fmt::format("jobs {}-{} of {}, {}{}\n", first, last, page.total, order,
                           last < page.total ? fmt::format(" (--page {} for more)", f.page + 1) : "");
  std::cout.flush();
  co_return 0;
}

net::awaitable<int> print_job(const queue_flags& f, queue& q) {
  need_id(f, "job");
  // The job and its state are two reads: a job that moves between them (a retry ending
  // in failed) would show the state of one moment with the fields of another. Read the
  // state on both sides and the job again when it changed: a final state stays.
  auto state = co_await q.get_job_state(f.id);
  auto j = co_await q.get_job(f.id);
  auto after = co_await q.get_job_state(f.id);
  if (after != state) {
    state = after;
    j = co_await q.get_job(f.id);
  }
  if (!j) co_return job_not_found(f.id, f.common.queue);
  auto [logs, count] = co_await q.get_job_logs(f.id);
  if (f.json) {
    auto o = j->to_json();
    // BullMQ's job.toJSON() carries it; scripts written for Node's output read it.
    o["queueQualifiedName"] = f.common.prefix + ":" + f.common.queue;
    o["state"] = to_string(state);
    json::array lines;
    for (auto& l : logs) lines.emplace_back(l);
    o["logs"] = std::move(lines);
    std::cout << drover::serialize_json(o) << std::endl;
  } else {
    print_job_detail(std::cout, *j, state, logs, app::now_ms());
    std::cout.flush();
  }
  co_return 0;
}

net::awaitable<int> set_progress(const queue_flags& f, queue& q) {
  need_id(f, "progress");
  auto value = parse_json(f.value, "--value");
  co_await q.update_progress(f.id, std::move(value));
  done(f, fmt::format("job {} progress {}", f.id, f.value), {{"jobId", f.id}});
  co_return 0;
}

net::awaitable<int> add_log_line(const queue_flags& f, queue& q) {
  need_id(f, "log");
  // As Node's job.log(): the job's keepLogs bounds its log. The number of log lines, as
  // job.log() returns it.
  std::optional<std::int64_t> keep;
  if (auto j = co_await q.get_job(f.id)) keep = j->opts.keep_logs;
  auto lines = co_await q.add_log(f.id, f.line, keep);
  std::cout << lines << std::endl;
  co_return 0;
}

net::awaitable<int> print_schedulers(const queue_flags& f, queue& q) {
  auto schedulers = co_await q.get_job_schedulers(f.start, f.end, f.asc);
  if (f.json) {
    json::array out;
    for (const auto& s : schedulers) out.push_back(s.to_json());
    std::cout << drover::serialize_json(out) << std::endl;
    co_return 0;
  }
  // JOBS MADE: BullMQ's iteration count, which counts the next job, pending, too.
  // NEXT in UTC, said in its header: beside a pattern in another zone an unlabelled time
  // read as that zone's (a time review). A scheduler that ended (its limit reached, its
  // end date passed) says so: its NEXT, in the past, read as a run to come.
  text_table t({"ID", "JOB NAME", "REPEAT", "NEXT (UTC)", "JOBS MADE"});
  const auto now = app::now_ms();
  for (const auto& s : schedulers) {
    auto repeat = s.pattern ? *s.pattern + (s.tz ? " " + *s.tz : "")
                            : (s.every ? "every " + format_duration(*s.every) : std::string("-"));
    // The iteration count counts the last job while it is pending: ended once it is due.
    const bool last_made = (s.limit && s.iteration_count && *s.iteration_count >= *s.limit) ||
                           (s.end_date && s.next && *s.next > *s.end_date);
    const bool past = s.next && *s.next <= now;
    std::string next = format_time(s.next);
    if (last_made && past) {
      next += " (ended)";
    } else if (s.next && *s.next < now - 60'000) {
      next += " (overdue: no worker has taken it)";
    }
    t.add_row({s.key, s.name, repeat, next, fmt::format("{}", s.iteration_count.value_or(0))});
  }
  t.print(std::cout);
  std::cout.flush();
  co_return 0;
}

namespace {

// The actions that act on a whole queue, and so on every shard of a sharded one.
bool acts_on_every_job(queue_action action, const queue_flags& f) {
  if (action == pause_queue || action == resume_queue || action == drain_queue || action == clean_queue) return true;
  return (action == retry_jobs || action == promote_jobs) && f.id.empty();
}

}  // namespace

int run_queue_action(const queue_flags& f, queue_action action, queue_confirmation confirm) {
  if (f.common.shards > 0) {
    // Only `counts` takes --shards; the other actions act on one shard, named as a queue.
    if (action != print_counts) throw error(errc::invalid_argument, "--shards is only for add, worker and counts");
    return print_sharded_counts(f);
  }
  if (acts_on_every_job(action, f)) {
    // On a sharded queue's name, the action acts on each shard in turn, as the
    // dashboard's does; each shard is confirmed and reported as a queue of its own.
    const auto shards = shards_named(f.common);
    if (!shards.empty()) {
      std::cerr << fmt::format("drover: queue '{}' is sharded: acting on its {} shards", f.common.queue, shards.size())
                << std::endl;
      return on_each_shard(shards, [&](const std::string& shard) {
        auto one = f;
        one.common.queue = shard;
        return run_queue_action(one, action, confirm);
      });
    }
  }
  net::io_context io;
  if (confirm && asks_on_terminal(f.yes)) {
    // On a connection of its own: an answer may take minutes, and Redis (its `timeout`)
    // or a proxy may close an idle connection meanwhile; the action opens a fresh one.
    queue asking(io.get_executor(), f.common.queue, queue_opts(f.common));
    bool go = false;
    run_to_end(io, [&]() -> net::awaitable<void> { go = co_await confirm(f, asking); });
    asking.close();
    if (!go) return exit_code::failed;
    io.restart();
  }
  queue q(io.get_executor(), f.common.queue, queue_opts(f.common));
  int rc = 0;
  try {
    run_to_end(io, [&]() -> net::awaitable<void> { rc = co_await action(f, q); });
  } catch (const error& e) {
    // Every action given --id answers a missing job alike (exit 3), whatever words the
    // script had for it ("Missing key for job nope. reprocessJob").
    if (f.id.empty() || !e.is(errc::job_not_found)) throw;
    return job_not_found(f.id, f.common.queue);
  }
  return rc;
}

}  // namespace drover::cli
