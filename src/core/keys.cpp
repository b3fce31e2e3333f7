// keys.cpp - the key names of BullMQ 6.7.0's layout.
#include "core/keys.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <fmt/format.h>

#include "drover/error.hpp"

namespace drover::detail {

queue_keys::queue_keys(std::string prefix, std::string queue)
    : prefix_(std::move(prefix)), queue_(std::move(queue)), base_(prefix_ + ":" + queue_ + ":") {
  wait = key("wait");
  paused = key("paused");
  meta = key("meta");
  id = key("id");
  completed = key("completed");
  failed = key("failed");
  delayed = key("delayed");
  active = key("active");
  events = key("events");
  marker = key("marker");
  prioritized = key("prioritized");
  pc = key("pc");
  stalled = key("stalled");
  stalled_check = key("stalled-check");
  limiter = key("limiter");
  repeat = key("repeat");
  waiting_children = key("waiting-children");
  worker_statuses = key("drover:workers");
}

std::string queue_keys::state(std::string_view name) const {
  return name == "waiting" ? wait : key(name);
}

void check_queue_name(std::string_view name) {
  if (name.empty()) throw error(errc::invalid_argument, "queue name must not be empty");
  if (name.find(':') != std::string_view::npos) {
    throw error(errc::invalid_argument, fmt::format("queue name '{}' must not contain ':'", name));
  }
}

std::string client_name(std::string_view prefix, std::string_view queue, std::string_view suffix) {
  namespace b64 = boost::beast::detail::base64;
  std::string encoded(b64::encoded_size(queue.size()), '\0');
  encoded.resize(b64::encode(encoded.data(), queue.data(), queue.size()));
  return std::string(prefix) + ":" + encoded + std::string(suffix);
}

}  // namespace drover::detail
