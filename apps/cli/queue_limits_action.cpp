// queue_limits_action.cpp - `drover queue limits`: the queue's global concurrency and
// rate limit (Node's setGlobalConcurrency / setGlobalRateLimit and their getters),
// changed first when flags say so, then shown with whether the concurrency is used up.
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <iostream>

#include "queue_actions.hpp"
#include <drover/json.hpp>

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

net::awaitable<int> queue_limits(const queue_flags& f, queue& q) {
  if (f.remove_concurrency) co_await q.remove_global_concurrency();
  if (f.concurrency > 0) co_await q.set_global_concurrency(f.concurrency);
  if (f.remove_rate_limit) co_await q.remove_global_rate_limit();
  if (f.rate_max > 0) co_await q.set_global_rate_limit(f.rate_max, std::chrono::milliseconds(f.rate_duration_ms));
  const auto concurrency = co_await q.get_global_concurrency();
  const auto rate = co_await q.get_global_rate_limit();
  const bool maxed = co_await q.is_maxed();
  if (f.json) {
    json::object out{{"queue", f.common.queue}, {"maxed", maxed}};
    out["concurrency"] = concurrency ? json::value(*concurrency) : json::value(nullptr);
    out["rateLimit"] = rate ? json::value(json::object{{"max", rate->max}, {"duration", rate->duration.count()}})
                            : json::value(nullptr);
    std::cout << drover::serialize_json(out) << std::endl;
  } else {
    std::cout << fmt::format("queue {}\n  global concurrency: {}{}\n  global rate limit:  {}\n", f.common.queue,
                             concurrency ? std::to_string(*concurrency) : "none", maxed ? " (used up now)" : "",
                             rate ? fmt::format("{} per {} ms", rate->max, rate->duration.count()) : "none");
    std::cout.flush();
  }
  co_return 0;
}

}  // namespace drover::cli
