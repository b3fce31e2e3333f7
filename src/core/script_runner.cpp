// script_runner.cpp - EVALSHA with a transparent reload after NOSCRIPT.
#include "core/script_runner.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <span>

#include "core/script_errors.hpp"

namespace drover::detail {

namespace {

bool is_noscript(const redis::reply& r) { return r.is_error() && r.str.starts_with("NOSCRIPT"); }

redis::command load_command(const lua::script& s) { return redis::command{"SCRIPT", "LOAD", s.source}; }

// Whether Redis refused a SCRIPT LOAD itself (an ACL without script|load, a renamed or
// disabled SCRIPT), as opposed to a script it could not compile.
bool is_load_refusal(const redis::reply& r) {
  if (!r.is_error()) return false;
  const std::string_view text = r.str;
  return text.starts_with("NOPERM") || text.find("unknown command") != std::string_view::npos ||
         text.find("unknown subcommand") != std::string_view::npos;
}

// Set once a SCRIPT LOAD was refused: from then on a script Redis lacks is sent whole
// (EVAL, which also caches it for the EVALSHAs after it), as BullMQ's client does for
// every script. For the process: a deployment that refuses it refuses it to every
// connection, and elsewhere EVAL only costs the script's bytes once per missing script.
std::atomic<bool> load_refused{false};

void note_load_refused(const redis::reply& refusal) {
  if (load_refused.exchange(true)) return;
  spdlog::warn(
      "redis: SCRIPT LOAD refused ({}); scripts Redis lacks are sent whole (EVAL) instead, as BullMQ's client sends "
      "them: grant script|load to spare the bytes",
      refusal.str);
}

// Adds `s` to `scripts` unless it is there already; whether it added it.
bool add_once(std::vector<const lua::script*>& scripts, const lua::script* s) {
  if (std::find(scripts.begin(), scripts.end(), s) != scripts.end()) return false;
  scripts.push_back(s);
  return true;
}

// Throws when one of the SCRIPT LOADs of `loaded` (their replies first in `replies`)
// failed for another reason than a refusal of SCRIPT LOAD itself; returns whether one
// was refused so (then noted for the process).
bool expect_loaded(const std::vector<const lua::script*>& loaded, const std::vector<redis::reply>& replies) {
  bool refused = false;
  for (std::size_t k = 0; k < loaded.size(); ++k) {
    if (is_load_refusal(replies[k])) {
      note_load_refused(replies[k]);
      refused = true;
    } else if (replies[k].is_error()) {
      throw script_reply_error(fmt::format("{} (loading it)", loaded[k]->name), replies[k].str);
    }
  }
  return refused;
}

}  // namespace

bool script_load_refused() { return load_refused; }

bool note_if_load_refused(const redis::reply& r) {
  if (!is_load_refusal(r)) return false;
  note_load_refused(r);
  return true;
}

redis::command eval_command(const lua::script& s, const redis::command& call) {
  redis::command cmd;
  const auto& args = call.args();
  cmd.reserve(args.size());
  cmd.push("EVAL").push(std::string_view(s.source));
  for (std::size_t i = 2; i < args.size(); ++i) cmd.push(std::string_view(args[i]));
  return cmd;
}

namespace {

// EVALSHA <sha1> <numkeys>, or EVAL <source> <numkeys> for a script sent whole.
redis::command script_head(const lua::script& s, std::size_t args) {
  redis::command cmd;
  cmd.reserve(3 + args);
  if (s.sent_whole) {
    cmd.push("EVAL").push(s.source);
  } else {
    cmd.push("EVALSHA").push(std::string_view(s.sha1));
  }
  cmd.push(static_cast<std::int64_t>(s.num_keys));
  return cmd;
}

}  // namespace

redis::command script_command(const lua::script& s, const script_args& args) {
  auto cmd = script_head(s, args.size());
  for (const auto& a : args) cmd.push(std::string_view(a));
  return cmd;
}

redis::command script_command(const lua::script& s, script_args&& args) {
  auto cmd = script_head(s, args.size());
  for (auto& a : args) cmd.push(std::move(a));
  return cmd;
}

namespace {

redis::reply script_reply(std::vector<redis::reply>& replies, const lua::script& s) {
  auto& r = replies.front();
  if (r.is_error()) throw script_reply_error(s.name, r.str);
  return std::move(r);
}

// The replies to the calls' commands (and `then`'s behind them, last in cmds when
// has_then) sent as one pipeline: the scripts of the calls that met NOSCRIPT are loaded,
// and with after_noscript::resend those calls are sent again behind the loads (then
// `then` again); `then`'s replies come after the calls'. The commands stay the caller's.
boost::asio::awaitable<std::vector<redis::reply>> load_missing(
    redis::connection& conn, std::span<const lua::script* const> scripts, const std::vector<redis::command>& cmds,
    bool has_then, std::chrono::milliseconds extra_timeout, std::vector<redis::reply> replies, after_noscript policy) {
  std::vector<redis::reply> then_replies;
  if (has_then) {
    then_replies.push_back(std::move(replies.back()));
    replies.pop_back();
  }

  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (is_noscript(replies[i])) missing.push_back(i);
  }
  const bool resend = policy == after_noscript::resend;
  // Without SCRIPT LOAD a script is loaded only by running it: with load_only there is
  // nothing to do (the NOSCRIPT replies stay, as they would after a load).
  for (int round = 0; !missing.empty() && round < 2 && (resend || !load_refused); ++round) {
    // Load each missing script once, then resend only the calls that did not run; where
    // SCRIPT LOAD is refused, send them whole instead (one more round when the refusal
    // is met here: the calls behind the refused loads met NOSCRIPT again, unrun).
    const bool whole = load_refused;
    std::vector<redis::command> retry;
    std::vector<const lua::script*> loaded;
    for (auto i : missing) {
      if (!whole && add_once(loaded, scripts[i])) retry.push_back(load_command(*scripts[i]));
    }
    if (resend) {
      for (auto i : missing) retry.push_back(whole ? eval_command(*scripts[i], cmds[i]) : cmds[i]);
      if (has_then) retry.push_back(cmds.back());
    }
    // A load alone does not block: no extra time for it.
    const auto timeout = resend ? extra_timeout : std::chrono::milliseconds{0};
    auto resent = conn.exec(std::move(retry), timeout);  // named: GCC 12 and temporaries in co_await
    auto again = co_await std::move(resent);
    const bool refused = expect_loaded(loaded, again);
    if (resend) {
      for (std::size_t k = 0; k < missing.size(); ++k) replies[missing[k]] = std::move(again[loaded.size() + k]);
      if (has_then) then_replies.push_back(std::move(again.back()));
    }
    if (!refused) break;
    std::erase_if(missing, [&](std::size_t i) { return !is_noscript(replies[i]); });
  }
  for (auto& r : then_replies) replies.push_back(std::move(r));
  co_return replies;
}

boost::asio::awaitable<std::vector<redis::reply>> run_pipelined(redis::connection& conn,
                                                                std::span<const lua::script* const> scripts,
                                                                const std::vector<redis::command>& cmds, bool has_then,
                                                                std::chrono::milliseconds extra_timeout,
                                                                after_noscript policy) {
  auto sent = conn.exec_kept(cmds, extra_timeout);  // named: GCC 12 and temporaries in co_await
  auto replies = co_await std::move(sent);
  auto loaded = load_missing(conn, scripts, cmds, has_then, extra_timeout, std::move(replies), policy);
  co_return co_await std::move(loaded);
}

// Loads those of `scripts` (distinct) that Redis lacks, in one round trip when it has
// them all: SCRIPT EXISTS, then SCRIPT LOAD for the missing ones. Where SCRIPT EXISTS
// is refused (an ACL, a proxy) it does nothing: the calls then take the NOSCRIPT path,
// in order unless a script is missing.
// Returns the scripts Redis lacks and would not load (SCRIPT LOAD refused): their calls
// go whole (EVAL), so that none meets NOSCRIPT either.
boost::asio::awaitable<std::vector<const lua::script*>> load_absent(redis::connection& conn,
                                                                    const std::vector<const lua::script*>& scripts) {
  std::vector<const lua::script*> unloaded;
  redis::command exists{"SCRIPT", "EXISTS"};
  for (const auto* s : scripts) exists.push(std::string_view(s->sha1));
  auto asked = conn.exec(std::move(exists));  // named: GCC 12 and temporaries in co_await
  auto found = co_await std::move(asked);
  if (!found.is_array() || found.elements.size() != scripts.size()) co_return unloaded;
  std::vector<redis::command> loads;
  std::vector<const lua::script*> loading;
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    if (found.elements[i].as_int().value_or(0) == 1) continue;
    if (load_refused) {
      unloaded.push_back(scripts[i]);
      continue;
    }
    loads.push_back(load_command(*scripts[i]));
    loading.push_back(scripts[i]);
  }
  if (loads.empty()) co_return unloaded;
  auto sent = conn.exec(std::move(loads));
  auto loaded = co_await std::move(sent);
  if (expect_loaded(loading, loaded)) {
    for (std::size_t k = 0; k < loading.size(); ++k) {
      if (loaded[k].is_error()) unloaded.push_back(loading[k]);
    }
  }
  co_return unloaded;
}

// The calls' EVALSHAs (their arguments moved in) and `then` behind them.
//
// A pipeline of more than one script first makes sure Redis has them all: were one
// missing, its calls would meet NOSCRIPT while the others' ran, and sending them again
// afterwards would run the calls out of order (a bulk add's job ids, which of two
// duplicates is kept; seen on a fresh Redis Cluster). A pipeline of one script needs no
// check: it fails whole and is sent again whole, in order.
boost::asio::awaitable<std::vector<redis::reply>> run_calls(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls,
    std::optional<redis::command> then, std::chrono::milliseconds extra_timeout, after_noscript policy) {
  std::vector<const lua::script*> scripts;
  std::vector<redis::command> cmds;
  scripts.reserve(calls.size());
  cmds.reserve(calls.size() + 1);
  for (auto& [s, args] : calls) {
    scripts.push_back(s);
    cmds.push_back(script_command(*s, std::move(args)));
  }
  // Most pipelines hold one script (a bulk add of one kind, the fetcher's drop): no list.
  // A script sent whole cannot meet NOSCRIPT, so it counts for none.
  const lua::script* first = nullptr;
  const bool several = std::any_of(scripts.begin(), scripts.end(), [&](const auto* s) {
    if (s->sent_whole) return false;
    if (!first) first = s;
    return s != first;
  });
  if (several) {
    std::vector<const lua::script*> distinct;
    for (const auto* s : scripts) {
      if (!s->sent_whole) add_once(distinct, s);
    }
    auto check = load_absent(conn, distinct);
    const auto unloaded = co_await std::move(check);
    for (std::size_t i = 0; i < scripts.size(); ++i) {
      if (std::find(unloaded.begin(), unloaded.end(), scripts[i]) != unloaded.end()) {
        cmds[i] = eval_command(*scripts[i], cmds[i]);
      }
    }
  }
  const bool has_then = then.has_value();
  if (then) cmds.push_back(std::move(*then));
  auto run = run_pipelined(conn, scripts, cmds, has_then, extra_timeout, policy);
  co_return co_await std::move(run);
}

}  // namespace

boost::asio::awaitable<redis::reply> run_script(redis::connection& conn, const lua::script& s, script_args args) {
  auto call = prepare_script(s, std::move(args));
  auto run = run_prepared(conn, call);
  co_return co_await std::move(run);
}

prepared_script prepare_script(const lua::script& s, script_args args) {
  prepared_script p{&s, {}};
  p.cmds.push_back(script_command(s, std::move(args)));
  return p;
}

boost::asio::awaitable<redis::reply> run_prepared(redis::connection& conn, const prepared_script& call) {
  // One frame fewer per call than run_pipelined when the script is loaded (every finish).
  auto sent = conn.exec_kept(call.cmds);  // named: GCC 12 and temporaries in co_await
  auto replies = co_await std::move(sent);
  if (is_noscript(replies.front())) {
    const std::chrono::milliseconds no_extra{0};
    auto loaded =
        load_missing(conn, {&call.script, 1}, call.cmds, false, no_extra, std::move(replies), after_noscript::resend);
    replies = co_await std::move(loaded);
  }
  co_return script_reply(replies, *call.script);
}

boost::asio::awaitable<std::vector<redis::reply>> run_scripts(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls) {
  std::optional<redis::command> none;
  const std::chrono::milliseconds no_extra{0};
  auto run = run_calls(conn, std::move(calls), std::move(none), no_extra, after_noscript::resend);
  co_return co_await std::move(run);
}

boost::asio::awaitable<std::vector<redis::reply>> run_scripts_then(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls, redis::command then,
    std::chrono::milliseconds extra_timeout, after_noscript policy) {
  std::optional<redis::command> trailer(std::move(then));
  auto run = run_calls(conn, std::move(calls), std::move(trailer), extra_timeout, policy);
  co_return co_await std::move(run);
}

}  // namespace drover::detail
