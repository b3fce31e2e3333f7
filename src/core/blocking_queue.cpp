// blocking_queue.cpp - the queue behind a private I/O thread, with blocking calls.
#include "drover/blocking_queue.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

namespace net = boost::asio;
namespace json = boost::json;

namespace drover {

struct blocking_queue::impl {
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
  std::optional<queue> q;
  std::thread thread;

  template <class T>
  T call(net::awaitable<T> op) {
    return net::co_spawn(io, std::move(op), net::use_future).get();
  }
};

blocking_queue::blocking_queue(std::string name, queue_options opts) : impl_(std::make_unique<impl>()) {
  impl_->q.emplace(impl_->io.get_executor(), std::move(name), std::move(opts));
  impl_->thread = std::thread([i = impl_.get()] { i->io.run(); });
}

blocking_queue::~blocking_queue() {
  net::post(impl_->io, [i = impl_.get()] {
    i->q->close();
    i->guard.reset();
  });
  impl_->thread.join();
}

job blocking_queue::add(std::string name, json::value data, job_options opts) {
  return impl_->call(impl_->q->add(std::move(name), std::move(data), std::move(opts)));
}
std::vector<job> blocking_queue::add_bulk(std::vector<new_job> jobs) {
  return impl_->call(impl_->q->add_bulk(std::move(jobs)));
}
std::optional<job> blocking_queue::get_job(std::string id) { return impl_->call(impl_->q->get_job(std::move(id))); }
std::optional<job_state> blocking_queue::get_job_state(std::string id) {
  return impl_->call(impl_->q->get_job_state(std::move(id)));
}
std::map<std::string, std::int64_t> blocking_queue::get_job_counts(std::vector<std::string> types) {
  return impl_->call(impl_->q->get_job_counts(std::move(types)));
}
std::vector<job> blocking_queue::get_jobs(std::vector<std::string> types, std::int64_t start, std::int64_t end,
                                          bool asc) {
  return impl_->call(impl_->q->get_jobs(std::move(types), start, end, asc));
}
void blocking_queue::pause() { impl_->call(impl_->q->pause()); }
void blocking_queue::resume() { impl_->call(impl_->q->resume()); }
bool blocking_queue::is_paused() { return impl_->call(impl_->q->is_paused()); }
bool blocking_queue::remove(std::string id) { return impl_->call(impl_->q->remove(std::move(id))); }

}  // namespace drover
