// dead_letter_sink.hpp - where the job runner copies a job that failed for good: the
// worker's dead-letter queue (worker_options::dead_letter_queue).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "core/worker/worker_state.hpp"
#include "drover/job.hpp"
#include "drover/queue.hpp"

namespace drover::detail {

// Thread safety: none; use it from the worker's executor.
class dead_letter_sink {
 public:
  explicit dead_letter_sink(worker_state& state) : state_(state) {}

  // Copies the job, retrying while Redis is away but not past the stop signal; logs
  // what became of the copy. The queue is made on first use.
  boost::asio::awaitable<void> send(const job& j, std::string reason, boost::json::array traces,
                                    std::int64_t finished_on);
  void close();

 private:
  worker_state& state_;
  std::unique_ptr<queue> queue_;
};

}  // namespace drover::detail
