// running_jobs.cpp - see running_jobs.hpp.
#include "core/worker/running_jobs.hpp"

namespace net = boost::asio;

namespace drover::detail {

void running_jobs::add(const std::string& id, running_job r) {
  jobs_[id] = std::move(r);
  changed();
}

void running_jobs::remove(const std::string& id, const std::string& token) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.token != token) return;
  jobs_.erase(it);
  changed();
}

void running_jobs::clear() {
  jobs_.clear();
  changed();
}

running_job* running_jobs::find(const std::string& id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

void running_jobs::changed() {
  count_ = jobs_.size();
  if (jobs_.empty()) emptied_.notify_all();
}

net::awaitable<bool> running_jobs::wait_until_empty(clock::time_point deadline) {
  // A job may start between the notice and the check (a finish that fetched the next
  // one): then wait again.
  while (!jobs_.empty() && clock::now() < deadline) co_await emptied_.wait_until(deadline);
  co_return jobs_.empty();
}

}  // namespace drover::detail
