// queue_discovery.cpp - discover_queues, kept for ten times as long as it took.
#include "drover_app/queue_discovery.hpp"

#include <algorithm>

#include <drover/discovery.hpp>
#include <spdlog/spdlog.h>

#include "drover_app/utf8.hpp"

namespace net = boost::asio;

namespace drover::app {

queue_discovery::queue_discovery(net::any_io_executor ex, redis_options redis, std::string prefix)
    : ex_(ex), redis_(std::move(redis)), prefix_(std::move(prefix)), flight_(ex) {}

net::awaitable<std::vector<std::string>> queue_discovery::names() {
  if (names_ && clock::now() < next_scan_) co_return *names_;
  co_return co_await rescan();
}

net::awaitable<std::vector<std::string>> queue_discovery::rescan() {
  auto run = [this] { return scan(); };
  co_return co_await flight_.run(std::move(run));
}

net::awaitable<std::vector<std::string>> queue_discovery::scan() {
  const auto started = clock::now();
  auto discover = discover_queues(ex_, redis_, prefix_);
  auto found = co_await std::move(discover);
  // A name that is not UTF-8 (only a producer writing raw bytes makes one; Node's are
  // always UTF-8) would break what the names go into: Prometheus refuses a whole scrape
  // over one label, JSON readers the dashboard's reply. Left out of the listings, and
  // said once per name; the CLI still reaches it by its name.
  auto not_text = [this](const std::string& name) {
    if (is_utf8(name)) return false;
    if (not_text_.insert(name).second) {
      spdlog::warn(
          "queue discovery: a queue under prefix '{}' whose name is not UTF-8 ('{}') is left out of the "
          "listings (the dashboard, the metrics, drover queue list); drover's commands still reach it by name",
          prefix_, valid_utf8(name));
    }
    return true;
  };
  found.erase(std::remove_if(found.begin(), found.end(), not_text), found.end());
  const auto ended = clock::now();
  ++scans_;
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(ended - started);
  interval_ = std::min(took * back_off_factor, max_interval);
  next_scan_ = ended + interval_;
  names_ = found;
  co_return found;
}

}  // namespace drover::app
