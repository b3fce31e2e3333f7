// bench_worker.hpp - a worker's internals, made without connecting, so the benchmarks
// can call the worker's own packing and reply handling (core/worker/worker_impl.hpp).
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>

#include "core/worker/worker_impl.hpp"

namespace drover::micro {

// A worker of the benchmark's queue named as the `drover workers` app names its workers;
// nothing connects until a command is sent, and none is.
class bench_worker {
 public:
  bench_worker();
  worker::impl& impl() { return *impl_; }

 private:
  boost::asio::io_context io_;
  std::shared_ptr<worker::impl> impl_;
};

}  // namespace drover::micro
