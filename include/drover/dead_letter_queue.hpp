// dead_letter_queue.hpp - where jobs that failed for good are kept for a person to
// look at and send back.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/job.hpp"
#include "drover/queue.hpp"

namespace drover {

// A dead-letter queue: a normal BullMQ-layout queue, by convention "<queue>-dlq",
// that a worker with worker_options::dead_letter_queue fills. Nothing processes it.
//
// Each entry is a job named as the failed one, with the id
// "<source queue>-<source job id>-<finishedOn>" (so that copying the same failure
// twice writes one entry) and this data:
//   {"data": <the failed job's data>,
//    "deadLetter": {"queue", "jobId", "name", "opts" (public names, as Node's
//                   job.opts), "failedReason", "stacktrace", "attemptsMade",
//                   "timestamp", "processedOn", "finishedOn", "worker"}}
//
// Thread safety: none, as queue.
class dead_letter_queue {
 public:
  // "<queue>-dlq".
  static std::string name_for(std::string_view source_queue);

  // Throws drover::error(invalid_argument) for a bad queue name.
  dead_letter_queue(boost::asio::any_io_executor ex, std::string name, queue_options opts = {});

  const std::string& name() const;

  // Entries, oldest first, [start, end] inclusive (end -1: all).
  boost::asio::awaitable<std::vector<job>> list(std::int64_t start = 0, std::int64_t end = -1);
  // How many entries there are.
  boost::asio::awaitable<std::int64_t> count();
  // std::nullopt when there is no such entry.
  boost::asio::awaitable<std::optional<job>> get(std::string id);
  // Adds the entry's job back to its source queue (same name, data and options, a new
  // id, no delay) and removes the entry, both in one atomic call: a crash can neither
  // add the job twice nor lose it, and two requeues of one entry add it once. The failed
  // job is removed in the same call while it holds the entry's failure, so that no later
  // retry of it runs the job a second time. Returns the new job. Throws drover::error:
  // job_not_found when there is no such entry (or another requeue took it first),
  // not_in_state when it is locked or when the failed job ran again since (retried: a
  // copy would run it twice), invalid_argument for an entry that does not hold a dead
  // letter or a flow's child, or the add's errors.
  boost::asio::awaitable<job> requeue(std::string id);
  // Requeues every entry but flows' children, jobs that ran again since and jobs that
  // hold no dead letter (each kept and said in the log); returns the new jobs.
  boost::asio::awaitable<std::vector<job>> requeue_all();

  void close();

 private:
  queue_options opts_;
  queue dlq_;
};

}  // namespace drover
