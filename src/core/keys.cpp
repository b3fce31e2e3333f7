// keys.cpp - the key names of BullMQ 6.7.0's layout.
#include "core/keys.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

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
  worker_statuses = key("drover:workers");  // names_queue_key() knows this name too
}

std::string queue_keys::state(std::string_view name) const { return name == "waiting" ? wait : key(name); }

const std::vector<std::string_view>& key_map_suffixes() {
  static const std::vector<std::string_view> suffixes{
      "active",      "wait",          "waiting-children", "paused", "id",      "delayed",
      "prioritized", "stalled-check", "completed",        "failed", "stalled", "repeat",
      "limiter",     "meta",          "events",           "pc",     "marker",  "de"};
  return suffixes;
}

const std::vector<std::string_view>& job_sub_key_suffixes() {
  static const std::vector<std::string_view> suffixes{"logs",   "dependencies", "processed",
                                                      "failed", "unsuccessful", "lock"};
  return suffixes;
}

void refuse_queue_key(std::string_view id, std::string_view command) {
  if (names_queue_key(id)) throw error(errc::job_not_found, fmt::format("Missing key for job {}. {}", id, command));
}

bool names_queue_key(std::string_view id) {
  // "de" is no key of its own, only the prefix of "de:<id>": a job may be called so.
  const auto& suffixes = key_map_suffixes();
  return (id != "de" && std::find(suffixes.begin(), suffixes.end(), id) != suffixes.end()) || id == "drover:workers";
}

void check_queue_name(std::string_view name) {
  if (name.empty()) throw error(errc::invalid_argument, "queue name must not be empty");
  if (name.find(':') != std::string_view::npos) {
    throw error(errc::invalid_argument, fmt::format("queue name '{}' must not contain ':'", name));
  }
}

std::string client_name(std::string_view prefix, std::string_view queue, std::string_view suffix) {
  // The queue's name in base64, as BullMQ names its connections (CLIENT SETNAME).
  std::string encoded(4 * ((queue.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL after
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(queue.data()), static_cast<int>(queue.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return std::string(prefix) + ":" + encoded + std::string(suffix);
}

}  // namespace drover::detail
