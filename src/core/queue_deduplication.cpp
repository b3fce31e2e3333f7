// queue_deduplication.cpp - reading and releasing deduplication ids (`<prefix>:<queue>:de:<id>`).
#include <drover/queue.hpp>

#include "core/queue_impl.hpp"
#include "redis/command.hpp"

namespace net = boost::asio;

namespace drover {

net::awaitable<std::optional<std::string>> queue::get_deduplication_job_id(std::string dedup_id) {
  redis::command get{"GET", impl_->keys.key("de:" + dedup_id)};
  auto r = co_await impl_->conn->exec(std::move(get));
  redis::expect_no_error(r, "GET " + impl_->keys.key("de:" + dedup_id));
  if (r.is_nil()) co_return std::nullopt;
  co_return r.as_string();
}

// A plain DEL, as Node's Queue.removeDeduplicationKey: releasing is the caller's
// decision, whichever job holds the id.
net::awaitable<bool> queue::remove_deduplication_key(std::string dedup_id) {
  redis::command del{"DEL", impl_->keys.key("de:" + dedup_id)};
  auto r = co_await impl_->conn->exec(std::move(del));
  redis::expect_no_error(r, "DEL " + impl_->keys.key("de:" + dedup_id));
  co_return r.as_int().value_or(0) > 0;
}

}  // namespace drover
