// keys.cpp - the key names of BullMQ 6.7.0's layout.
#include "core/keys.hpp"

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

namespace {

// Standard base64 (RFC 4648 section 4) with padding, as Buffer.toString('base64') in BullMQ.
std::string base64(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8 |
                   static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += alphabet[n >> 6 & 63];
    out += alphabet[n & 63];
  }
  if (const auto rest = in.size() - i; rest > 0) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += rest == 2 ? alphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

std::string client_name(std::string_view prefix, std::string_view queue, std::string_view suffix) {
  return std::string(prefix) + ":" + base64(queue) + std::string(suffix);
}

}  // namespace drover::detail
