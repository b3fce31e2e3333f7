// sharded_counts.cpp - counts of a sharded queue, summed and per shard.
#include "sharded_counts.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <drover/error.hpp>
#include <drover/json.hpp>
#include <drover/sharded_queue.hpp>

#include "cli_support.hpp"
#include "job_page.hpp"
#include "sharded_name.hpp"
#include "text_table.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

json::object counts_object(const std::map<std::string, std::int64_t>& counts) {
  json::object o;
  for (const auto& [k, v] : counts) o[k] = v;
  return o;
}

}  // namespace

int print_sharded_counts(const queue_flags& f) {
  net::io_context io;
  sharded_queue q(io.get_executor(), f.common.queue, f.common.shards, queue_opts(f.common));
  // Shard by shard: a master that is away (a failover, a partition) leaves its shards'
  // columns empty and the rest are still read (the whole command failed, in a cluster
  // drill, when an operator most needed the counts of the others).
  std::map<std::string, std::int64_t> total;
  std::vector<std::optional<std::map<std::string, std::int64_t>>> shards(q.shards());  // nullopt: not read
  run_to_end(io, [&]() -> net::awaitable<void> {
    for (std::size_t s = 0; s < q.shards(); ++s) {
      std::vector<std::string> types;
      if (f.with_paused) types = job_states();
      try {
        auto get = q.shard(s).get_job_counts(std::move(types));
        auto counts = co_await std::move(get);
        for (const auto& [state, n] : counts) total[state] += n;
        shards[s] = std::move(counts);
      } catch (const error& e) {
        std::cerr << fmt::format("drover: warning: shard {} ({}) not read: {}\n", s, q.shard(s).name(), e.what());
      }
    }
  });
  std::vector<std::string> unreadable;
  for (std::size_t s = 0; s < q.shards(); ++s) {
    if (!shards[s]) unreadable.push_back(q.shard(s).name());
  }
  if (unreadable.size() == q.shards())
    throw error(errc::redis_unavailable, "no shard of " + q.name() + " could be read");
  // After the counts, and only when every shard answered: with a master away the scan of
  // every queue waits for it, and sees only some shards anyway.
  if (unreadable.empty()) warn_on_other_shard_count(f.common, "counts");
  if (f.json) {
    json::array listed;
    for (std::size_t s = 0; s < q.shards(); ++s) {
      json::object one{{"queue", q.shard(s).name()}};
      if (shards[s]) {
        one["counts"] = counts_object(*shards[s]);
      } else {
        one["counts"] = nullptr;
      }
      listed.push_back(std::move(one));
    }
    json::object out{{"queue", q.name()}, {"counts", counts_object(total)}, {"shards", std::move(listed)}};
    if (!unreadable.empty()) {
      json::array names;
      for (const auto& n : unreadable) names.emplace_back(n);
      out["unreadable"] = std::move(names);
    }
    std::cout << drover::serialize_json(out) << std::endl;
    return unreadable.empty() ? 0 : 1;
  }
  std::vector<std::string> head = {"STATE", unreadable.empty() ? "TOTAL" : "TOTAL (READ)"};
  std::vector<text_table::align> aligns = {text_table::align::left, text_table::align::right};
  for (std::size_t s = 0; s < q.shards(); ++s) {
    head.push_back(fmt::format("SHARD {}", s));
    aligns.push_back(text_table::align::right);
  }
  text_table t(head, aligns);
  for (const auto& state : job_states()) {
    std::vector<std::string> row = {state, fmt::format("{}", total[state])};
    for (auto& shard : shards) row.push_back(shard ? fmt::format("{}", (*shard)[state]) : std::string("?"));
    t.add_row(std::move(row));
  }
  std::cout << fmt::format("queue {} ({} shards: {} ... {})\n", q.name(), q.shards(), q.shard(0).name(),
                           q.shard(q.shards() - 1).name());
  t.print(std::cout);
  std::cout.flush();
  // Some counts are missing: a script must not take the totals for the whole queue's.
  return unreadable.empty() ? 0 : 1;
}

}  // namespace drover::cli
