// local_token_buckets.hpp - the rate limiter's buckets kept in this process, for while
// Redis cannot keep them.
//
// A limited request that Redis cannot count still writes what it carries: a send stores
// its message before its add fails with 503 (so that a retry with its Idempotency-Key
// finds it). With the limits off during an outage, one client wrote a row per request,
// unbounded (a review filled Redis's memory and sent 40 in a burst where 6 were refused
// before). These buckets hold each process to the configured limits meanwhile: an API of
// N processes lets N times the limit through, not an unbounded number.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/rate_limit.hpp"

namespace drover::api {

class local_token_buckets {
 public:
  using clock = std::chrono::steady_clock;
  struct bucket {
    std::string key;   // the Redis key it stands for
    rate_limit limit;  // a disabled limit is skipped
  };

  // Takes one token from every bucket or from none. std::nullopt: taken; else the wait
  // until every bucket holds one again.
  std::optional<std::chrono::milliseconds> take(const std::vector<bucket>& buckets, clock::time_point now);

  std::size_t size() const { return buckets_.size(); }

  // Buckets kept at most; beyond, the full ones (which a new bucket would equal) go.
  static constexpr std::size_t max_buckets = 100'000;

 private:
  struct state {
    double tokens;
    clock::time_point at;
  };
  static double tokens_at(const state& s, const rate_limit& limit, clock::time_point now);
  void forget_full(clock::time_point now);

  std::unordered_map<std::string, std::pair<state, rate_limit>> buckets_;
};

}  // namespace drover::api
