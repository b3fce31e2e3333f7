// worker_thread.hpp - a worker on its own thread and io_context, as another process
// on another machine would run it: nothing shared with the test but Redis.
#pragma once

#include <drover/worker.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <memory>
#include <string>
#include <thread>

namespace drover::test {

class worker_thread {
 public:
  worker_thread(std::string queue, processor proc, worker_options opts, worker_events events = {})
      : guard_(io_.get_executor()), w_(io_.get_executor(), std::move(queue), std::move(proc), std::move(opts)) {
    w_.events() = std::move(events);
    w_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~worker_thread() { stop(); }
  worker_thread(const worker_thread&) = delete;
  worker_thread& operator=(const worker_thread&) = delete;

  // Closes the worker (waiting for running jobs up to `grace`) and joins the thread.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (!thread_.joinable()) return;
    auto closed = boost::asio::co_spawn(io_, w_.close(grace), boost::asio::use_future);
    closed.wait();
    guard_.reset();
    io_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  worker w_;
  std::thread thread_;
};

}  // namespace drover::test
