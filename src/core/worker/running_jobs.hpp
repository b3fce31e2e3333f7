// running_jobs.hpp - the jobs a worker runs now: the one table its actors share. The
// fetcher adds a job it takes, the job runner removes it when its outcome is recorded,
// the lock renewer marks its renewals, and close() waits for the table to empty.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "core/worker/event.hpp"

namespace drover::detail {

struct running_job {
  std::string token;
  std::chrono::steady_clock::time_point renewed_at{};
  bool lock_lost = false;
  std::int64_t attempt = 1;  // this run's attempt, for log lines
};

// Thread safety: none, but count(), which any thread may call.
class running_jobs {
 public:
  using clock = std::chrono::steady_clock;
  using table = std::map<std::string, running_job>;

  explicit running_jobs(boost::asio::any_io_executor ex) : emptied_(std::move(ex)) {}

  void add(const std::string& id, running_job r);
  // Forgets a job's run locked with `token`, and tells wait_until_empty() when it was the
  // last. Another run of the same job (this worker took it again after a stall of its own,
  // with another slot's token) is left alone: a stale run that ended removed the live
  // run's entry, whose lock was then no longer renewed, and the job failed for stalling
  // twice (a review of long jobs).
  void remove(const std::string& id, const std::string& token);
  void clear();
  // nullptr when the job is not running (any more).
  running_job* find(const std::string& id);

  const table& jobs() const { return jobs_; }
  bool empty() const { return jobs_.empty(); }
  std::size_t size() const { return jobs_.size(); }
  // The number of jobs, safe to read from any thread (worker::stats()).
  std::size_t count() const { return count_.load(); }

  // Returns once no job runs, or at the deadline: true when none runs.
  boost::asio::awaitable<bool> wait_until_empty(clock::time_point deadline);

 private:
  void changed();

  table jobs_;
  std::atomic<std::size_t> count_{0};
  event emptied_;
};

}  // namespace drover::detail
