// bench_worker.cpp - see bench_worker.hpp.
#include "bench_worker.hpp"

#include "inputs.hpp"

namespace drover::micro {

namespace {

worker_options bench_options() {
  worker_options o;
  o.name = "workers-1";
  o.concurrency = 100;
  return o;
}

}  // namespace

bench_worker::bench_worker() {
  auto noop = processor::async([](job_context&) -> boost::asio::awaitable<boost::json::value> { co_return nullptr; });
  impl_ = std::make_shared<worker::impl>(io_.get_executor(), queue_name, std::move(noop), bench_options());
}

}  // namespace drover::micro
