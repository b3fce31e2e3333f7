// dlq_command.cpp - `drover dlq ACTION --queue <queue>`: the dead-letter queue of
// <queue> ("<queue>-dlq" unless --dlq names another), listed, shown and requeued.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include <drover/json.hpp>
#include <drover/dead_letter_queue.hpp>
#include <drover/error.hpp>

#include "cli_support.hpp"
#include "queue_actions.hpp"
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

// Exit codes: 0 done, 3 no such entry, 1 an error (printed by main).
int run_dlq(const dlq_flags& f) {
  net::io_context io;
  dead_letter_queue d(io.get_executor(), f.dlq.empty() ? dead_letter_queue::name_for(f.common.queue) : f.dlq,
                      queue_opts(f.common));
  int rc = 0;
  std::exception_ptr failure;
  auto body = [&]() -> net::awaitable<void> {
    if (f.action == "list") {
      auto entries = co_await d.list(f.start, f.end);
      if (entries.empty() && !f.common.queue.empty()) {
        // None: perhaps none failed, perhaps a mistyped name (an operator's script read []).
        queue source(io.get_executor(), f.common.queue, queue_opts(f.common));
        co_await warn_if_unknown(source);
      }
      json::array out;
      for (const auto& e : entries) out.push_back(e.to_json());
      std::cout << drover::serialize_json(out) << std::endl;
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
      json::object out{{"deadLetterId", f.id}, {"jobId", j->id}};
      std::cout << drover::serialize_json(out) << std::endl;
    } else {  // requeue-all
      auto jobs = co_await d.requeue_all();
      json::array ids;
      for (const auto& j : jobs) ids.emplace_back(j.id);
      std::cout << drover::serialize_json(ids) << std::endl;
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

void add_dlq_options(CLI::App& cmd, dlq_flags& f) {
  cmd.add_option("action", f.action, "list, show, requeue or requeue-all")
      ->required()
      ->check(one_of({"list", "show", "requeue", "requeue-all"}));
  // --queue is the source queue; --prefix, --redis and --redis-tls-* as every command.
  add_common(&cmd, f.common);
  cmd.add_flag("--json", f.json, "accepted for scripts that pass it everywhere: dlq always prints JSON");
  cmd.add_option("--dlq", f.dlq, "the dead-letter queue (default: <queue>-dlq)");
  auto* id = cmd.add_option("--id", f.id, "show, requeue: the dead letter's id")->check(non_empty());
  cmd.add_option("--start", f.start, "list: first index (oldest first)");
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
