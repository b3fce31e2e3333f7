// add_command.cpp - `drover add`: one job from --name/--data/--opts, printing its id,
// or every job of a JSON Lines file with --file (bulk_add.cpp).
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <iostream>
#include <optional>

#include <drover/error.hpp>
#include <drover/json.hpp>
#include <drover/queue.hpp>
#include <drover/sharded_queue.hpp>

#include "bulk_add.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "flag_checks.hpp"
#include "sharded_name.hpp"

namespace net = boost::asio;

namespace drover::cli {

namespace {

struct add_flags {
  common_options common;
  std::string name;
  std::string data = "{}";
  std::string opts = "{}";
  std::string key;        // --key: with --shards, the shard is this key's (its jobs keep their order)
  bulk_add_command bulk;  // --file, --chunk, --json
  replication_flags replication;
};

void add_add_options(CLI::App& a, add_flags& f) {
  add_common(&a, f.common);
  add_shards_flag(&a, f.common);
  // Without --shards there is one queue, and a key would be silently ignored.
  a.add_option("--key", f.key,
               "with --shards: put the job on this key's shard, so that one key's jobs keep their order "
               "(default: round robin)")
      ->needs("--shards");
  auto* name = a.add_option("--name,-n", f.name, "job name")->check(utf8_text());
  a.add_option("--data,-d", f.data, "job data, JSON")->capture_default_str();
  a.add_option("--opts,-o", f.opts,
               "job options, JSON with BullMQ's names (jobId, delay, priority, attempts, "
               "backoff, lifo, removeOnComplete, removeOnFail, ...)")
      ->capture_default_str();
  auto* file = a.add_option("--file,-f", f.bulk.file,
                            "add every job of this file ('-': stdin), one JSON object a line: "
                            "{\"name\": ..., \"data\": {...}, \"opts\": {...}}");
  a.add_option("--chunk", f.bulk.chunk, "--file: jobs per round trip")->check(positive<long>())->capture_default_str();
  a.add_flag("--json", f.bulk.json,
             "print JSON: {\"id\", \"queue\"} for one job; with --file the summary ({\"queue\", \"sent\"}: lines "
             "sent; a line whose jobId or deduplication id is in the queue already adds no job, as with Node's "
             "addBulk)");
  add_replication_flags(&a, f.replication);
  file->excludes(name);
  a.callback([name, file] {
    if (!name->count() && !file->count()) throw CLI::RequiredError("--name or --file");
  });
}

// The added job: its id (with its shard's queue when sharded), or with --json one object
// that scripts read the same way whether the queue is sharded or not.
void print_added(const std::string& id, const std::string& queue_name, bool json, bool sharded) {
  if (json) {
    boost::json::object out{{"id", id}, {"queue", queue_name}};
    std::cout << drover::serialize_json(out) << std::endl;
  } else if (sharded) {
    std::cout << id << '\t' << queue_name << std::endl;
  } else {
    std::cout << id << std::endl;
  }
}

int run_add(const add_flags& f) {
  if (!f.bulk.file.empty()) {
    if (f.common.shards > 0) throw error(errc::invalid_argument, "--file is not supported with --shards yet");
    auto bulk = f.bulk;
    bulk.common = f.common;
    bulk.replication = f.replication;
    return run_bulk_add(bulk);
  }
  auto data = parse_json(f.data, "--data");
  auto opts = job_options::from_json(parse_json(f.opts, "--opts"));
  f.replication.apply_to(opts);
  net::io_context io;
  if (f.common.shards > 0) {
    sharded_queue q(io.get_executor(), f.common.queue, f.common.shards, queue_opts(f.common));
    run_to_end(io, [&]() -> net::awaitable<void> {
      std::optional<std::string> key;
      if (!f.key.empty()) key = f.key;
      auto add = q.add(f.name, std::move(data), std::move(opts), std::move(key));
      auto j = co_await std::move(add);
      print_added(j.job.id, j.queue, f.bulk.json, true);  // ids are unique per shard: name it
    });
    // After the add, which it must not hold up (the scan of every queue waits for a master
    // that is away).
    warn_on_other_shard_count(f.common, "adds to");
    return 0;
  }
  queue q(io.get_executor(), f.common.queue, queue_opts(f.common));
  run_to_end(io, [&]() -> net::awaitable<void> {
    auto add = q.add(f.name, std::move(data), std::move(opts));
    auto j = co_await std::move(add);
    print_added(j.id, f.common.queue, f.bulk.json, false);
  });
  return 0;
}

}  // namespace

command add_command() {
  return make_command<add_flags>("add", "add a job and print its id, or every job of a JSON Lines file (--file)",
                                 add_add_options, run_add);
}

}  // namespace drover::cli
