// dlq_command.cpp - `drover dlq ACTION --queue <queue>`: the dead-letter queue of
// <queue> ("<queue>-dlq" unless --dlq names another), listed, shown and requeued.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <vector>
#include <memory>

#include <drover/json.hpp>
#include <drover/dead_letter_queue.hpp>
#include <drover/error.hpp>

#include "cli_support.hpp"
#include "queue_actions.hpp"
#include "sharded_name.hpp"
#include "commands.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

struct dlq_flags {
  common_options common;
  std::string action;
  std::string dlq;  // default: <queue>-dlq
  std::string id;
  long start = 0;
  long end = -1;
  bool json = true;  // dlq always prints JSON; --json is accepted for uniform scripts
};

// Exit code 3, saying which id is wanted: an operator gave the failed job's id, which a
// dead letter is not named by.
int no_dead_letter(const std::string& id, const std::string& dlq) {
  std::cerr << fmt::format(
                   "drover: no dead letter {} in {} (give the dead letter's own \"id\", as `drover dlq list` "
                   "prints it, not the failed job's id)",
                   id, dlq)
            << std::endl;
  return exit_code::not_found;
}

// Runs f.action on the dead-letter queue `dlq_name`. list and requeue-all append what
// they found to `out` (entries; the new jobs' ids, or {"id", "queue"} when a `shard`),
// which the caller prints; show and requeue print their answer. Exit codes: 0 done, 3
// no such entry; errors are thrown.
int run_dlq_on(const dlq_flags& f, const std::string& dlq_name, json::array& out, const std::string& shard) {
  net::io_context io;
  dead_letter_queue d(io.get_executor(), dlq_name, queue_opts(f.common));
  int rc = 0;
  std::exception_ptr failure;
  auto body = [&]() -> net::awaitable<void> {
    if (f.action == "list") {
      auto entries = co_await d.list(f.start, f.end);
      for (const auto& e : entries) {
        auto entry = e.to_json();
        entry["deadLetterQueue"] = d.name();
        out.push_back(std::move(entry));
      }
    } else if (f.action == "show") {
      auto e = co_await d.get(f.id);
      if (!e) {
        rc = no_dead_letter(f.id, d.name());
        co_return;
      }
      std::cout << drover::serialize_json(e->to_json()) << std::endl;
    } else if (f.action == "requeue") {
      std::optional<job> j;
      try {
        j = co_await d.requeue(f.id);
      } catch (const error& e) {
        if (!e.is(errc::job_not_found)) throw;
      }
      if (!j) {
        rc = no_dead_letter(f.id, d.name());
        co_return;
      }
      json::object answer{{"deadLetterId", f.id}, {"jobId", j->id}};
      std::cout << drover::serialize_json(answer) << std::endl;
    } else {  // requeue-all
      auto jobs = co_await d.requeue_all();
      for (const auto& j : jobs) {
        if (!shard.empty()) {
          out.push_back(json::object{{"id", j.id}, {"queue", shard}});
        } else {
          out.emplace_back(j.id);
        }
      }
    }
  };
  net::co_spawn(io, body(), [&](std::exception_ptr e) {
    failure = e;
    d.close();
    // Behind Sentinel a watch on the sentinels keeps io busy after close: the command ends here.
    io.stop();
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return rc;
}

// The shard whose dead letter `id` is: an entry's id begins with its source queue's name.
std::optional<std::string> shard_of_entry(const std::vector<std::string>& shards, const std::string& id) {
  for (const auto& shard : shards) {
    if (id.size() > shard.size() && id.compare(0, shard.size(), shard) == 0 && id[shard.size()] == '-') return shard;
  }
  return std::nullopt;
}

// A sharded queue's dead letters are in each shard's own dead-letter queue (a sharded
// worker fills <shard>-dlq): on the sharded name, list and requeue-all act on each
// shard's, and show and requeue on the one the entry's id names. `drover dlq list` on
// it listed nothing.
int run_dlq(const dlq_flags& f) {
  json::array out;
  const bool listing = f.action == "list" || f.action == "requeue-all";
  const auto shards = f.dlq.empty() ? shards_named(f.common) : std::vector<std::string>{};
  int rc = 0;
  if (shards.empty()) {
    const auto name = f.dlq.empty() ? dead_letter_queue::name_for(f.common.queue) : f.dlq;
    rc = run_dlq_on(f, name, out, {});
    if (f.action == "list" && out.empty() && !f.common.queue.empty()) {
      // None: perhaps none failed, perhaps a mistyped name (an operator's script read []).
      net::io_context io;
      queue source(io.get_executor(), f.common.queue, queue_opts(f.common));
      run_to_end(io, [&]() -> net::awaitable<void> { co_await warn_if_unknown(source); });
      source.close();
    }
  } else if (listing) {
    std::cerr << fmt::format("drover: queue '{}' is sharded: its {} shards' dead letters", f.common.queue,
                             shards.size())
              << std::endl;
    // What was requeued on the shards before one that fails is printed all the same.
    rc = on_each_shard(shards, [&](const std::string& shard) {
      return run_dlq_on(f, dead_letter_queue::name_for(shard), out, shard);
    });
  } else if (auto shard = shard_of_entry(shards, f.id)) {
    rc = run_dlq_on(f, dead_letter_queue::name_for(*shard), out, *shard);
  } else {
    return no_dead_letter(f.id, fmt::format("the dead-letter queues of {}'s shards", f.common.queue));
  }
  if (listing) std::cout << drover::serialize_json(out) << std::endl;
  return rc;
}

void add_dlq_options(CLI::App& cmd, dlq_flags& f) {
  cmd.add_option("action", f.action, "list, show, requeue or requeue-all")
      ->required()
      ->check(one_of({"list", "show", "requeue", "requeue-all"}));
  // --queue is the source queue; --prefix, --redis and --redis-tls-* as every command.
  add_common(&cmd, f.common);
  cmd.add_flag("--json", f.json, "accepted for scripts that pass it everywhere: dlq always prints JSON");
  cmd.add_option("--dlq", f.dlq, "the dead-letter queue (default: <queue>-dlq)");
  auto* id = cmd.add_option("--id", f.id, "show, requeue: the dead letter's id")->check(non_empty());
  cmd.add_option("--start", f.start, "list: first index (oldest first; of each shard's on a sharded queue)");
  cmd.add_option("--end", f.end, "list: last index (-1: all)");
  // Required by two of the actions only, so checked here: a usage error like any other.
  cmd.callback([&f, id] {
    if ((f.action == "show" || f.action == "requeue") && !id->count()) {
      throw CLI::RequiredError(fmt::format("--id is required for dlq {}", f.action), CLI::ExitCodes::RequiredError);
    }
  });
}

}  // namespace

command dlq_command() {
  return make_command<dlq_flags>("dlq", "look at a queue's dead letters (jobs that failed for good) and requeue them",
                                 add_dlq_options, run_dlq);
}

}  // namespace drover::cli
