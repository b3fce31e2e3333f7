// cli_support.hpp - what every one-shot `drover` command needs: the shared flags (with
// the checks of flag_checks.hpp), run a coroutine to its end, parse a JSON flag, and
// turn the common flags into queue options.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>
#include <boost/json/value.hpp>

#include <csignal>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <drover/error.hpp>
#include <drover/queue.hpp>

#include "command.hpp"
#include "common_options.hpp"
#include "flag_checks.hpp"

namespace drover::cli {

// Adds --queue (required unless queue_required is false), --prefix and --redis.
void add_common(CLI::App* cmd, common_options& c, bool queue_required = true);
// Adds --prefix and --redis alone (commands over every queue under the prefix).
void add_connection(CLI::App* cmd, common_options& c);
// Adds --shards (add, worker, counts, events): the queue is a sharded queue of that many shards.
void add_shards_flag(CLI::App* cmd, common_options& c);
// Adds --json: machine-readable output instead of the human one; when `json` is already
// true (a JSON-only command), the help says the flag changes nothing.
void add_json_flag(CLI::App* cmd, bool& json);

// --min-replicas and --replication-timeout: replicated adds (job_options::replication).
struct replication_flags {
  std::optional<std::int64_t> min_replicas;
  std::optional<std::int64_t> timeout_ms;
  // Sets what was given on `o`, over what its JSON options ("minReplicas", ...) said.
  void apply_to(job_options& o) const;
};
void add_replication_flags(CLI::App* cmd, replication_flags& f);

// Parses `text` as JSON; throws drover::error (invalid_argument) naming `what`
// (e.g. "--data") when it is not.
boost::json::value parse_json(const std::string& text, const char* what);

// Whether an action that removes jobs no worker has run yet (or a whole queue) asks
// first: on a terminal (stdin and stderr), unless `yes` (--yes). Scripts, pipes and CI are
// not asked, as these commands never asked them.
bool asks_on_terminal(bool yes);
// Asks `question` on stderr and reads the answer from stdin: true for "y" or "yes" (any
// case); anything else says on stderr that nothing was done.
bool confirmed(const std::string& question);

// Says on stderr, in one line, that queue `queue` has no `what` (e.g. "job 7"), and
// returns exit_code::not_found: what every command naming a missing thing does.
int not_found_in_queue(std::string_view what, const std::string& queue);
// not_found_in_queue for a job id.
int job_not_found(const std::string& id, const std::string& queue);

// BullMQ's words for a job missing or in the wrong state end with the name of the script
// that said so ("Job 1 is not in the failed state. reprocessJob"), which the user never
// typed: `message` without that last word, up to its full stop. Other text is unchanged.
std::string without_script_name(std::string_view message);
// The same error with its message so.
error without_script_name(const error& e);

// Says on stderr, once per process, when `flag_url` (a --redis value) holds a password
// (its user part, or sentinel_password=): other local users read it in `ps`.
void warn_of_password_in_flag(std::string_view flag_url);

// The queue options (prefix, Redis with a short command timeout) of the common flags.
queue_options queue_opts(const common_options& c);

// Runs one coroutine to its end on `io` and rethrows what it threw.
template <class F>
void run_to_end(boost::asio::io_context& io, F&& f) {
  std::exception_ptr failure;
  boost::asio::co_spawn(io, std::forward<F>(f), [&](std::exception_ptr e) {
    failure = e;
    io.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

// Runs until SIGINT/SIGTERM, then calls stop (which ends by stopping io); a second
// signal stops at once, whatever is still pending.
// For the long-running commands (the apps, `drover worker`): a log pipe whose reader went
// away (a killed tee, a restarted log shipper) must not end the process, which SIGPIPE did
// at its next log line (a disk-full review). Such writes fail (EPIPE) and are lost; the
// sockets never raise it (Asio sends with MSG_NOSIGNAL).
inline void outlive_a_lost_log_reader() { std::signal(SIGPIPE, SIG_IGN); }

template <class Stop>
void run_until_signal(boost::asio::io_context& io, Stop stop) {
  // SIGHUP too, which logrotate, `systemctl reload` and a closed terminal send: its
  // default action ended the process at once, running jobs left locked until stalled.
  // The apps log to stderr and hold no file to reopen, so it is noted and ignored.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  int received = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("signal {} (SIGHUP): ignored; the logs go to stderr, there is nothing to reopen", sig);
    } else if (++received == 1) {
      spdlog::info("signal {}: shutting down (again to stop at once)", sig);
      stop();
    } else {
      spdlog::warn("signal {}: stopping now", sig);
      io.stop();
      return;
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  io.run();
}

}  // namespace drover::cli
