// job_page.cpp - pages across states: BullMQ's getJobs ranges each state on its own, so
// a page over several states reads the states it spans, each from where the page meets it.
#include "job_page.hpp"

#include <algorithm>

#include <drover_app/queue_presence.hpp>

namespace net = boost::asio;

namespace drover::cli {

namespace {

constexpr std::int64_t search_chunk = 500;

bool matches(const job& j, const std::string& search) {
  return search.empty() || j.id.find(search) != std::string::npos || j.name.find(search) != std::string::npos;
}

}  // namespace

const std::vector<std::string>& job_states() { return app::bullmq_job_states(); }

net::awaitable<job_page> read_job_page(queue& q, job_page_request r) {
  if (r.states.empty()) r.states = job_states();
  r.page = std::max<std::int64_t>(r.page, 1);
  r.per_page = std::max<std::int64_t>(r.per_page, 1);
  const std::int64_t first = (r.page - 1) * r.per_page;
  const std::int64_t end = first + r.per_page;

  job_page out;
  if (r.search.empty()) {
    // The page is a window over the states laid end to end, so each state is read only
    // where the window meets it (a page of the newest of each state, merged by creation
    // time, showed some jobs on every page and others on none: a Node user's review).
    auto counts = co_await q.get_job_counts(r.states);
    std::int64_t offset = 0;
    for (const auto& state : r.states) {
      const auto n = counts[state];
      const auto from = std::max(first, offset);
      const auto to = std::min(end, offset + n);
      if (from < to) {
        std::vector<std::string> one{state};
        auto read = r.whole_jobs ? q.get_jobs(one, from - offset, to - offset - 1)
                                 : q.get_job_summaries(one, from - offset, to - offset - 1);
        auto jobs = co_await std::move(read);
        for (auto& j : jobs) out.jobs.push_back({std::move(j), state});
      }
      offset += n;
    }
    out.total = offset;
    co_return out;
  }
  for (const auto& state : r.states) {
    std::vector<std::string> one{state};
    for (std::int64_t start = 0;; start += search_chunk) {
      // The search reads ids and names only; the page's jobs are read whole after, for --json.
      auto reading = q.get_job_summaries(one, start, start + search_chunk - 1);
      auto chunk = co_await std::move(reading);
      for (auto& j : chunk) {
        if (!matches(j, r.search)) continue;
        if (out.total >= first && out.total < end) out.jobs.push_back({std::move(j), state});
        ++out.total;
      }
      if (static_cast<std::int64_t>(chunk.size()) < search_chunk) break;
    }
  }
  if (r.whole_jobs) {
    for (auto& listed : out.jobs) {
      auto reading = q.get_job(listed.j.id);
      auto whole = co_await std::move(reading);
      if (whole) listed.j = std::move(*whole);
    }
  }
  co_return out;
}

}  // namespace drover::cli
