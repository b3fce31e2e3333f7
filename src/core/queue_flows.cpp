// queue_flows.cpp - a parent job's children, read through its queue (flows).
#include "core/dependency_reads.hpp"
#include "core/queue_impl.hpp"
#include "drover/queue.hpp"

namespace json = boost::json;
namespace net = boost::asio;

namespace drover {

net::awaitable<json::object> queue::get_children_values(std::string id) {
  co_return co_await detail::read_children_values(*impl_->conn, impl_->keys, std::move(id));
}

net::awaitable<std::map<std::string, std::string>> queue::get_ignored_children_failures(std::string id) {
  co_return co_await detail::read_ignored_failures(*impl_->conn, impl_->keys, std::move(id));
}

net::awaitable<std::map<std::string, std::string>> queue::get_failed_children_values(std::string id) {
  co_return co_await detail::read_ignored_failures(*impl_->conn, impl_->keys, std::move(id));
}

net::awaitable<job_dependencies> queue::get_dependencies(std::string id) {
  dependencies_query everything;  // named: no temporaries in a co_await (GCC 12)
  co_return co_await detail::read_dependencies(*impl_->conn, impl_->keys, std::move(id), everything);
}

net::awaitable<job_dependencies> queue::get_dependencies(std::string id, dependencies_query q) {
  co_return co_await detail::read_dependencies(*impl_->conn, impl_->keys, std::move(id), std::move(q));
}

net::awaitable<dependency_counts> queue::get_dependency_counts(std::string id) {
  co_return co_await detail::read_dependency_counts(*impl_->conn, impl_->keys, std::move(id));
}

}  // namespace drover
