// sharded_counts.cpp - counts of a sharded queue, summed and per shard.
#include "sharded_counts.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <iostream>

#include <drover/json.hpp>
#include <drover/sharded_queue.hpp>

#include "cli_support.hpp"
#include "job_page.hpp"
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
  sharded_job_counts counts;
  run_to_end(io, [&]() -> net::awaitable<void> {
    std::vector<std::string> types;
    if (f.with_paused) types = job_states();
    auto get = q.get_job_counts(std::move(types));
    counts = co_await std::move(get);
  });
  if (f.json) {
    json::array shards;
    for (std::size_t s = 0; s < q.shards(); ++s) {
      shards.push_back(json::object{{"queue", q.shard(s).name()}, {"counts", counts_object(counts.shards[s])}});
    }
    std::cout << drover::serialize_json(json::object{
                     {"queue", q.name()}, {"counts", counts_object(counts.total)}, {"shards", std::move(shards)}})
              << std::endl;
    return 0;
  }
  std::vector<std::string> head = {"STATE", "TOTAL"};
  std::vector<text_table::align> aligns = {text_table::align::left, text_table::align::right};
  for (std::size_t s = 0; s < q.shards(); ++s) {
    head.push_back(fmt::format("SHARD {}", s));
    aligns.push_back(text_table::align::right);
  }
  text_table t(head, aligns);
  for (const auto& state : job_states()) {
    std::vector<std::string> row = {state, fmt::format("{}", counts.total[state])};
    for (auto& shard : counts.shards) row.push_back(fmt::format("{}", shard[state]));
    t.add_row(std::move(row));
  }
  std::cout << fmt::format("queue {} ({} shards: {} ... {})\n", q.name(), q.shards(), q.shard(0).name(),
                           q.shard(q.shards() - 1).name());
  t.print(std::cout);
  std::cout.flush();
  return 0;
}

}  // namespace drover::cli
