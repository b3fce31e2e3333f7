// blocking_queue.hpp - a queue for programs without an Asio event loop.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drover/error.hpp"
#include "drover/job.hpp"
#include "drover/queue.hpp"

namespace drover {

// The producer side of `queue` as plain blocking calls, for an HTTP server on
// another framework or a script: `drover::blocking_queue q("emails"); q.add("send", data);`
// It runs its own I/O thread; each call waits for its answer.
// Thread safety: every method may be called from any thread; calls are serialized
// on the I/O thread.
class blocking_queue {
 public:
  explicit blocking_queue(std::string name, queue_options opts = {});
  ~blocking_queue();
  blocking_queue(const blocking_queue&) = delete;
  blocking_queue& operator=(const blocking_queue&) = delete;

  // Same meaning, results and errors as the queue methods of the same name.
  job add(std::string name, boost::json::value data, job_options opts = {});
  std::vector<job> add_bulk(std::vector<new_job> jobs);
  std::optional<job> get_job(std::string id);
  std::optional<job_state> get_job_state(std::string id);
  std::map<std::string, std::int64_t> get_job_counts(std::vector<std::string> types = {});
  std::vector<job> get_jobs(std::vector<std::string> types, std::int64_t start = 0, std::int64_t end = -1,
                            bool asc = false);
  void pause();
  void resume();
  bool is_paused();
  bool remove(std::string id);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace drover
