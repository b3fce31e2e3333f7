// worker_state.cpp - see worker_state.hpp.
#include "core/worker/worker_state.hpp"

#include <fmt/format.h>

#include <random>

#include "core/queue_connection.hpp"

namespace drover::detail {

namespace {

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return fmt::format("{:016x}{:016x}", gen(), gen());
}

}  // namespace

worker_state::worker_state(boost::asio::any_io_executor ex_, std::string queue, worker_options opts_)
    : ex(ex_),
      opts(std::move(opts_)),
      keys(opts.prefix, std::move(queue)),
      conn(detail::queue_connection(ex_, opts.redis, keys)),
      id(random_id()),
      stop(ex_),
      running(ex_) {}

}  // namespace drover::detail
