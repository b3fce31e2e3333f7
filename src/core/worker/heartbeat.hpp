// heartbeat.hpp - the worker's actor that reports it to the queue's status hash
// (queue::get_worker_statuses) every heartbeat_interval.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>

#include "core/worker/job_runner.hpp"
#include "core/worker/worker_state.hpp"
#include "drover/queue.hpp"

namespace drover::detail {

// It owns its start time; it reads the running table and the job runner's counters.
// Thread safety: none; use it from the worker's executor.
class heartbeat : public std::enable_shared_from_this<heartbeat> {
 public:
  heartbeat(std::shared_ptr<worker_state> state, std::shared_ptr<const job_runner> runner)
      : state_(std::move(state)), runner_(std::move(runner)) {}

  // Reports at once, then every heartbeat_interval until the stop signal.
  boost::asio::awaitable<void> run(std::int64_t started_at_ms);
  // Takes the report away (close()); a failure is left to the report's staleness.
  boost::asio::awaitable<void> forget();

 private:
  worker_status status() const;

  std::shared_ptr<worker_state> state_;
  std::shared_ptr<const job_runner> runner_;
  std::int64_t started_at_ms_ = 0;
};

}  // namespace drover::detail
