// sharded_name.cpp - see sharded_name.hpp.
#include "sharded_name.hpp"

#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include <drover/discovery.hpp>
#include <drover/error.hpp>
#include <drover/queue.hpp>
#include <drover/shard_names.hpp>
#include <drover_app/queue_presence.hpp>

#include "cli_support.hpp"
#include "command.hpp"

namespace net = boost::asio;

namespace drover::cli {

std::vector<std::string> shards_named(const common_options& c) {
  net::io_context io;
  std::vector<std::string> names;
  const auto opts = queue_opts(c);
  run_to_end(io, [&]() -> net::awaitable<void> {
    bool unknown = false;
    try {
      queue q(io.get_executor(), c.queue, opts);
      auto asking = app::queue_looks_unknown(q);
      unknown = co_await std::move(asking);
      q.close();
    } catch (const error& e) {
      unknown = e.is(errc::invalid_argument);  // a cluster refuses a name without a hash tag
    }
    if (!unknown) co_return;
    try {
      auto discovering = discover_queues(io.get_executor(), opts.redis, opts.prefix);
      names = co_await std::move(discovering);
    } catch (const error&) {
    }
  });
  auto grouped = group_shards(names);
  if (std::find(grouped.plain.begin(), grouped.plain.end(), c.queue) != grouped.plain.end()) return {};
  for (auto& sharded : grouped.sharded) {
    if (sharded.name == c.queue) return std::move(sharded.shards);
  }
  return {};
}

void warn_on_other_shard_count(const common_options& c, std::string_view what) {
  if (c.shards == 0) return;
  const auto found = shards_named(c);
  if (found.empty() || found.size() == c.shards) return;
  std::cerr << fmt::format(
                   "drover: warning: Redis holds {} shards of '{}' ({} ... {}), not the {} that --shards gives: shard "
                   "names depend on their number, so this {} other queues than those; give --shards {}",
                   found.size(), c.queue, found.front(), found.back(), c.shards, what, found.size())
            << std::endl;
}

int on_each_shard(const std::vector<std::string>& shards, const std::function<int(const std::string&)>& act) {
  int rc = 0;
  for (const auto& shard : shards) {
    try {
      rc = std::max(rc, act(shard));
    } catch (const std::exception& e) {
      std::cerr << fmt::format("drover: error: shard '{}': {}", shard, e.what()) << std::endl;
      rc = std::max(rc, exit_code::failed);
    }
  }
  return rc;
}

}  // namespace drover::cli
