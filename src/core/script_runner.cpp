// script_runner.cpp - EVALSHA with a transparent reload after NOSCRIPT.
#include "core/script_runner.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace drover::detail {

namespace {

bool is_noscript(const redis::reply& r) { return r.is_error() && r.str.starts_with("NOSCRIPT"); }

redis::command load_command(const lua::script& s) { return redis::command{"SCRIPT", "LOAD", s.source}; }

}  // namespace

redis::command script_command(const lua::script& s, const script_args& args) {
  redis::command cmd{"EVALSHA", s.sha1};
  cmd.push(static_cast<std::int64_t>(s.num_keys));
  for (const auto& a : args) cmd.push(std::string_view(a));
  return cmd;
}

boost::asio::awaitable<redis::reply> run_script(redis::connection& conn, const lua::script& s, script_args args) {
  std::vector<std::pair<const lua::script*, script_args>> calls;
  calls.emplace_back(&s, std::move(args));
  auto replies = co_await run_scripts(conn, std::move(calls));
  auto& r = replies.front();
  if (r.is_error()) throw error(errc::script_error, fmt::format("script {} failed: {}", s.name, r.str));
  co_return std::move(r);
}

namespace {

// run_scripts and run_scripts_then: `then` (when set) goes behind each pipeline, and its
// replies after the calls'.
boost::asio::awaitable<std::vector<redis::reply>> run_pipelined(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls,
    std::optional<redis::command> then, std::chrono::milliseconds extra_timeout) {
  std::vector<redis::command> cmds;
  cmds.reserve(calls.size() + 1);
  for (const auto& [s, args] : calls) cmds.push_back(script_command(*s, args));
  if (then) cmds.push_back(*then);
  auto replies = co_await conn.exec(std::move(cmds), extra_timeout);
  std::vector<redis::reply> then_replies;
  if (then) {
    then_replies.push_back(std::move(replies.back()));
    replies.pop_back();
  }

  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (is_noscript(replies[i])) missing.push_back(i);
  }
  if (!missing.empty()) {
    // Load each missing script once, then resend only the calls that did not run.
    std::vector<redis::command> retry;
    std::vector<const lua::script*> loaded;
    for (auto i : missing) {
      const auto* s = calls[i].first;
      if (std::find(loaded.begin(), loaded.end(), s) == loaded.end()) {
        loaded.push_back(s);
        retry.push_back(load_command(*s));
      }
    }
    for (auto i : missing) retry.push_back(script_command(*calls[i].first, calls[i].second));
    if (then) retry.push_back(*then);
    auto again = co_await conn.exec(std::move(retry), extra_timeout);
    for (std::size_t k = 0; k < loaded.size(); ++k) {
      if (again[k].is_error()) {
        throw error(errc::script_error, fmt::format("cannot load script {}: {}", loaded[k]->name, again[k].str));
      }
    }
    for (std::size_t k = 0; k < missing.size(); ++k) replies[missing[k]] = std::move(again[loaded.size() + k]);
    if (then) then_replies.push_back(std::move(again.back()));
  }
  for (auto& r : then_replies) replies.push_back(std::move(r));
  co_return replies;
}

}  // namespace

boost::asio::awaitable<std::vector<redis::reply>> run_scripts(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls) {
  std::optional<redis::command> none;
  const std::chrono::milliseconds no_extra{0};
  co_return co_await run_pipelined(conn, std::move(calls), std::move(none), no_extra);
}

boost::asio::awaitable<std::vector<redis::reply>> run_scripts_then(
    redis::connection& conn, std::vector<std::pair<const lua::script*, script_args>> calls, redis::command then,
    std::chrono::milliseconds extra_timeout) {
  std::optional<redis::command> trailer(std::move(then));
  co_return co_await run_pipelined(conn, std::move(calls), std::move(trailer), extra_timeout);
}

}  // namespace drover::detail
