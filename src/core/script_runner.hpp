// script_runner.hpp - calls BullMQ's scripts by SHA, loading them when Redis lacks them.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "core/lua_scripts.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

// KEYS then ARGV, as one list of strings (the script says how many are keys).
using script_args = std::vector<std::string>;

redis::command script_command(const lua::script& s, const script_args& keys_and_args);
// The same, taking the strings instead of copying them.
redis::command script_command(const lua::script& s, script_args&& keys_and_args);

// Runs one script: EVALSHA, and after NOSCRIPT (a restarted or flushed Redis)
// SCRIPT LOAD and once more; where SCRIPT LOAD is refused (an ACL without script|load, a
// renamed SCRIPT), EVAL with the script's source, as BullMQ's client does. Throws
// drover::error(script_error) naming the script when it raises a Lua error.
boost::asio::awaitable<redis::reply> run_script(redis::connection& conn, const lua::script& s,
                                                script_args keys_and_args);

// One script call made into its EVALSHA once, for a caller that may send it several
// times (job_runner::record tries a finish again while Redis is away): no copy of its
// arguments per try.
struct prepared_script {
  const lua::script* script = nullptr;
  std::vector<redis::command> cmds;  // the one EVALSHA
};
prepared_script prepare_script(const lua::script& s, script_args keys_and_args);
// As run_script.
boost::asio::awaitable<redis::reply> run_prepared(redis::connection& conn, const prepared_script& call);

// Runs several scripts as one pipeline, in order; only the calls that met NOSCRIPT are
// sent again. With more than one script, a round trip first loads those Redis lacks
// (SCRIPT EXISTS), so that none of them meets NOSCRIPT while the others run: the calls
// run in the order given (unless Redis loses a script between the two round trips: a
// flush, a failover, a slot moved away). Error replies are returned in place, not thrown.
boost::asio::awaitable<std::vector<redis::reply>> run_scripts(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls);

// What run_scripts_then does after a call met NOSCRIPT, once its script is loaded.
enum class after_noscript {
  // Sends the calls that did not run again, with `then` behind them: `then` is about
  // this connection's writes before it (WAIT), which a reconnect between two pipelines
  // would not cover.
  resend,
  // Leaves the NOSCRIPT replies in place and sends nothing again: `then` has done what
  // it was for (a blocking wait, which must not wait twice), and a call that only
  // prepares it means nothing afterwards. The script is there for the next pipeline.
  load_only,
};

// As run_scripts, with `then` sent behind the calls in the same pipeline. Returns the
// calls' replies, then `then`'s: one `then` reply per pipeline sent (two after a
// NOSCRIPT with after_noscript::resend, three when that meets the first refusal of
// SCRIPT LOAD). `extra_timeout` extends the command timeout
// for a `then` that blocks.
boost::asio::awaitable<std::vector<redis::reply>> run_scripts_then(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls, redis::command then,
    std::chrono::milliseconds extra_timeout, after_noscript policy = after_noscript::resend);

// Whether a SCRIPT LOAD was refused in this process (then scripts Redis lacks are sent
// whole): for a transaction, inside which EVALSHA cannot load a missing script.
bool script_load_refused();
// Notes `r`, the reply to a SCRIPT LOAD, when it is a refusal of SCRIPT LOAD itself;
// whether it was one.
bool note_if_load_refused(const redis::reply& r);
// The EVALSHA `call` of `s` as an EVAL of its source, the same keys and arguments.
redis::command eval_command(const lua::script& s, const redis::command& call);

}  // namespace drover::detail
