// readiness_queues.cpp - see readiness_queues.hpp.
#include "drover_app/readiness_queues.hpp"

namespace drover::app {

readiness_queues::readiness_queues(boost::asio::any_io_executor ex,
                                   const std::vector<std::pair<std::string, std::size_t>>& queues,
                                   const queue_options& opts) {
  for (const auto& [name, shards] : queues) queues_.push_back(std::make_unique<app_queue>(ex, name, shards, opts));
}

boost::asio::awaitable<void> readiness_queues::probe() {
  for (auto& q : queues_) {
    auto read = q->probe();  // named: GCC 12 and temporaries in co_await
    co_await std::move(read);
  }
}

void readiness_queues::close() {
  for (auto& q : queues_) q->close();
}

}  // namespace drover::app
