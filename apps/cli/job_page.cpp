// job_page.cpp - pages across states: BullMQ's getJobs ranges each state on its own,
// so a page over several states takes the first page*per_page of each and merges them.
#include "job_page.hpp"

#include <algorithm>

namespace net = boost::asio;

namespace drover::cli {

namespace {

constexpr std::int64_t search_chunk = 500;

bool matches(const job& j, const std::string& search) {
  return search.empty() || j.id.find(search) != std::string::npos || j.name.find(search) != std::string::npos;
}

}  // namespace

const std::vector<std::string>& job_states() {
  static const std::vector<std::string> states{"active",  "waiting",          "paused",    "prioritized",
                                               "delayed", "waiting-children", "completed", "failed"};
  return states;
}

net::awaitable<job_page> read_job_page(queue& q, job_page_request r) {
  if (r.states.empty()) r.states = job_states();
  r.page = std::max<std::int64_t>(r.page, 1);
  r.per_page = std::max<std::int64_t>(r.per_page, 1);
  const std::int64_t wanted = r.page * r.per_page;

  job_page out;
  std::vector<listed_job> found;
  if (r.search.empty()) {
    auto counts = co_await q.get_job_counts(r.states);
    for (const auto& [state, n] : counts) out.total += n;
  }
  for (const auto& state : r.states) {
    std::vector<std::string> one{state};
    if (r.search.empty()) {
      for (auto& j : co_await q.get_jobs(one, 0, wanted - 1)) found.push_back({std::move(j), state});
      continue;
    }
    for (std::int64_t start = 0;; start += search_chunk) {
      auto chunk = co_await q.get_jobs(one, start, start + search_chunk - 1);
      for (auto& j : chunk) {
        if (!matches(j, r.search)) continue;
        ++out.total;
        found.push_back({std::move(j), state});
      }
      if (static_cast<std::int64_t>(chunk.size()) < search_chunk) break;
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const listed_job& a, const listed_job& b) { return a.j.timestamp > b.j.timestamp; });
  const auto first = static_cast<std::size_t>((r.page - 1) * r.per_page);
  for (std::size_t i = first; i < found.size() && i < first + static_cast<std::size_t>(r.per_page); ++i) {
    out.jobs.push_back(std::move(found[i]));
  }
  co_return out;
}

}  // namespace drover::cli
