// replicated_add.cpp - see replicated_add.hpp.
#include "core/replicated_add.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "drover/error.hpp"

namespace drover::detail {

void require(replication_options& wanted, const replication_options& job) {
  if (job.min_replicas <= 0) return;
  if (wanted.min_replicas <= 0) {
    wanted = job;
    return;
  }
  wanted.min_replicas = std::max(wanted.min_replicas, job.min_replicas);
  wanted.timeout = std::max(wanted.timeout, job.timeout);
}

redis::command wait_command(const replication_options& wanted, std::chrono::milliseconds command_timeout) {
  if (wanted.timeout >= command_timeout) {
    throw error(errc::invalid_argument,
                fmt::format("the replication timeout ({} ms) must be below the Redis command timeout ({} ms)",
                            wanted.timeout.count(), command_timeout.count()));
  }
  redis::command cmd{"WAIT"};
  cmd.push(wanted.min_replicas);
  cmd.push(static_cast<std::int64_t>(wanted.timeout.count()));
  return cmd;
}

void check_replicated(const std::vector<redis::reply>& waits, const replication_options& wanted,
                      std::string_view what) {
  for (const auto& r : waits) {
    redis::expect_no_error(r, fmt::format("WAIT after adding {}", what));
    auto acknowledged = r.as_int();
    if (!r.is_integer() || !acknowledged) {
      throw error(errc::protocol_error, fmt::format("WAIT after adding {} answered no count", what));
    }
    if (*acknowledged < wanted.min_replicas) {
      throw error(errc::not_replicated,
                  fmt::format("{} reached {} of {} replica(s) within {} ms (WAIT); it may still exist on the "
                              "master and be processed, and is lost if the master fails before it replicates",
                              what, *acknowledged, wanted.min_replicas, wanted.timeout.count()));
    }
  }
}

boost::asio::awaitable<sent_adds> send_adds(redis::connection& conn,
                                            std::vector<std::pair<const lua::script*, script_args>> calls,
                                            replication_options wanted) {
  sent_adds out;
  if (wanted.min_replicas <= 0) {
    out.adds = co_await run_scripts(conn, std::move(calls));
    co_return out;
  }
  const auto count = calls.size();
  auto wait = wait_command(wanted, conn.options().command_timeout);
  out.adds = co_await run_scripts_then(conn, std::move(calls), std::move(wait), wanted.timeout);
  out.waits.assign(std::make_move_iterator(out.adds.begin() + static_cast<std::ptrdiff_t>(count)),
                   std::make_move_iterator(out.adds.end()));
  out.adds.resize(count);
  co_return out;
}

std::string describe_jobs(std::string_view queue, const std::vector<std::string>& ids) {
  if (ids.size() == 1) return fmt::format("job {} of queue {}", ids.front(), queue);
  constexpr std::size_t shown = 5;
  std::string list;
  for (std::size_t i = 0; i < ids.size() && i < shown; ++i) list += (i ? ", " : "") + ids[i];
  if (ids.size() > shown) list += ", ...";
  return fmt::format("{} jobs of queue {} ({})", ids.size(), queue, list);
}

}  // namespace drover::detail
