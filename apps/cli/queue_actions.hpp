// queue_actions.hpp - what each `drover queue ACTION` does once its flags are parsed:
// one coroutine per action, on a queue the caller opened. Human output by default,
// --json for scripts (the JSON shapes are those of Node's Queue methods, and the ones
// earlier drover versions printed).
//
// Each returns the exit code: 0 done, 3 no such job (or nothing to do, as for remove);
// failures throw (printed as "drover: error: ...", exit 1), except errc::job_not_found
// for the job of --id, which run_queue_action turns into job_not_found() (exit 3).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include <drover/queue.hpp>

#include "common_options.hpp"

namespace drover::cli {

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
  bool yes = false;  // drain, clean, obliterate: do not ask on a terminal
  bool delayed = false;
  long start = 0;
  long end = -1;
  bool asc = false;
  bool ranged = false;  // jobs: --start/--end/--asc given: BullMQ's raw getJobs range
  long page = 1;
  long per_page = 20;
  bool paged = false;        // jobs: --page/--per-page/--search given
  bool with_paused = false;  // counts: "paused" too, as the top-level `drover counts` always printed
  // limits: what to change first (0 / false: leave as it is)
  long concurrency = 0;
  long rate_max = 0;
  long rate_duration_ms = 0;
  bool remove_concurrency = false;
  bool remove_rate_limit = false;
};

// The flags outlive the coroutine: callers await it in the frame that owns them.
using queue_action = boost::asio::awaitable<int> (*)(const queue_flags& f, queue& q);

// Warns on stderr when `q` has no settings and no jobs in Redis (most likely a mistyped
// name or prefix); says nothing when it cannot tell.
boost::asio::awaitable<void> warn_if_unknown(queue& q);

boost::asio::awaitable<int> pause_queue(const queue_flags& f, queue& q);
boost::asio::awaitable<int> resume_queue(const queue_flags& f, queue& q);
boost::asio::awaitable<int> print_is_paused(const queue_flags& f, queue& q);
boost::asio::awaitable<int> drain_queue(const queue_flags& f, queue& q);
boost::asio::awaitable<int> clean_queue(const queue_flags& f, queue& q);
boost::asio::awaitable<int> obliterate_queue(const queue_flags& f, queue& q);
boost::asio::awaitable<int> retry_jobs(const queue_flags& f, queue& q);
boost::asio::awaitable<int> promote_jobs(const queue_flags& f, queue& q);
boost::asio::awaitable<int> remove_job(const queue_flags& f, queue& q);
boost::asio::awaitable<int> cancel_job(const queue_flags& f, queue& q);
boost::asio::awaitable<int> print_jobs(const queue_flags& f, queue& q);
boost::asio::awaitable<int> print_job(const queue_flags& f, queue& q);
boost::asio::awaitable<int> print_counts(const queue_flags& f, queue& q);
boost::asio::awaitable<int> set_progress(const queue_flags& f, queue& q);
boost::asio::awaitable<int> add_log_line(const queue_flags& f, queue& q);
// queue_limits_action.cpp
boost::asio::awaitable<int> queue_limits(const queue_flags& f, queue& q);
boost::asio::awaitable<int> print_schedulers(const queue_flags& f, queue& q);

// Before an action that removes jobs no worker has run (drain, clean of unfinished jobs,
// obliterate): counts them and, when there are some, asks on the terminal (cli_support.hpp:
// confirmed); false when declined.
using queue_confirmation = boost::asio::awaitable<bool> (*)(const queue_flags& f, queue& q);
boost::asio::awaitable<bool> confirm_drain(const queue_flags& f, queue& q);
boost::asio::awaitable<bool> confirm_clean(const queue_flags& f, queue& q);
boost::asio::awaitable<bool> confirm_obliterate(const queue_flags& f, queue& q);

// Opens the queue of f.common, runs `action` to its end and returns its exit code. With
// `confirm`, on a terminal and without --yes, asks first on a connection of its own, and
// returns exit_code::failed, having done nothing, when declined.
int run_queue_action(const queue_flags& f, queue_action action, queue_confirmation confirm = nullptr);

}  // namespace drover::cli
