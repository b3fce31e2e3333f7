// worker_state.hpp - what a worker's actors share: their settings and command connection,
// which none of them changes, and the two things they do change together, the table of
// running jobs and the stop signal. Everything else belongs to one actor.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

#include "core/keys.hpp"
#include "core/worker/running_jobs.hpp"
#include "core/worker/stop_signal.hpp"
#include "drover/worker.hpp"
#include "redis/connection.hpp"

namespace drover::detail {

struct worker_state {
  worker_state(boost::asio::any_io_executor ex, std::string queue, worker_options opts);

  boost::asio::any_io_executor ex;
  worker_options opts;
  queue_keys keys;
  std::shared_ptr<redis::connection> conn;  // scripts and commands; the fetcher has its own for BZPOPMIN
  std::string id;                           // this worker's, in lock tokens and its status report
  stop_signal stop;
  running_jobs running;
};

}  // namespace drover::detail
