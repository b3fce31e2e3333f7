// job_page.hpp - one page of a queue's jobs across states, state by state and each in
// BullMQ's order (getJobs: newest first), optionally only those whose id or name contains
// a search text (`drover queue jobs`).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <drover/job.hpp>
#include <drover/queue.hpp>

namespace drover::cli {

struct job_page_request {
  std::vector<std::string> states;  // empty: every state
  std::string search;               // empty: every job; else a substring of the id or the name
  std::int64_t page = 1;            // 1-based
  std::int64_t per_page = 20;
  // Each job whole (--json: what scripts read), or without its data, returnvalue and
  // stacktrace (the table, which shows none of them: jobs of several MB each, read whole,
  // held Redis for seconds).
  bool whole_jobs = false;
};

struct listed_job {
  job j;
  std::string state;
};

struct job_page {
  std::vector<listed_job> jobs;  // state by state, each in BullMQ's order (newest first)
  std::int64_t total = 0;        // jobs in those states (that match the search)
};

// Reads the page. Without a search it reads the page's jobs only; a search reads every
// job of those states in chunks, so it is slow on huge queues.
boost::asio::awaitable<job_page> read_job_page(queue& q, job_page_request r);

// The states `drover queue jobs` knows, in display order.
const std::vector<std::string>& job_states();

}  // namespace drover::cli
