// queue_orphans.cpp - queue::remove_orphaned_jobs: finds candidate job keys with SCAN and
// lets BullMQ's removeOrphanedJobs script check and delete them a batch at a time, the way
// Node's queue drives it (redis-queue-backend's removeOrphanedJobs).
#include <drover/queue.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/queue_impl.hpp"
#include "core/scripts/remove_orphaned_jobs.hpp"
#include "redis/command.hpp"

namespace net = boost::asio;

namespace drover {

namespace {

// The job id a scanned key may belong to, or "" for a key that is not a job's: one of
// the queue's own keys or a sub-key of one ("repeat:<id>", "de:<id>"), or a sub-key of a
// job other than those removeOrphanedJobs deletes. As Node picks them.
std::string candidate_id(std::string_view key, std::string_view base) {
  if (key.substr(0, base.size()) != base) return {};
  const auto suffix = key.substr(base.size());
  const auto& known = detail::key_map_suffixes();
  auto is_known = [&](std::string_view s) {
    return s.empty() || std::find(known.begin(), known.end(), s) != known.end();
  };
  if (is_known(suffix)) return {};
  const auto colon = suffix.find(':');
  if (colon == std::string_view::npos) return std::string(suffix);
  const auto head = suffix.substr(0, colon);
  if (is_known(head)) return {};
  const auto& subs = detail::job_sub_key_suffixes();
  if (std::find(subs.begin(), subs.end(), suffix.substr(colon + 1)) == subs.end()) return {};
  return std::string(head);
}

}  // namespace

net::awaitable<std::int64_t> queue::remove_orphaned_jobs(std::int64_t count, std::int64_t limit) {
  if (count < 1) throw error(errc::invalid_argument, fmt::format("scan count must be at least 1, not {}", count));
  if (limit < 0) throw error(errc::invalid_argument, fmt::format("limit must not be negative, not {}", limit));
  auto& q = *impl_;
  const std::string& base = q.keys.base();
  std::int64_t removed = 0;
  std::string cursor = "0";
  do {
    redis::command scan{"SCAN", cursor, "MATCH", base + "*", "COUNT"};
    scan.push(count);
    auto r = co_await q.conn->exec(std::move(scan));
    redis::expect_no_error(r, fmt::format("SCAN {}*", base));
    if (!r.is_array() || r.elements.size() != 2) throw error(errc::protocol_error, "SCAN: unexpected reply");
    cursor = r.elements[0].as_string();
    std::set<std::string> ids;
    for (const auto& k : r.elements[1].elements) {
      auto id = candidate_id(k.as_string(), base);
      if (!id.empty()) ids.insert(std::move(id));
    }
    if (ids.empty()) continue;
    auto call = detail::scripts::remove_orphaned_jobs::of(q.keys, {ids.begin(), ids.end()});
    removed += co_await detail::scripts::run(*q.conn, std::move(call));
    if (limit > 0 && removed >= limit) break;
  } while (cursor != "0");
  co_return removed;
}

}  // namespace drover
