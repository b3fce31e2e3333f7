// local_token_buckets.cpp - see local_token_buckets.hpp.
#include "api/local_token_buckets.hpp"

#include <algorithm>
#include <cmath>

namespace drover::api {

double local_token_buckets::tokens_at(const state& s, const rate_limit& limit, clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - s.at).count();
  return std::min(static_cast<double>(limit.burst), s.tokens + std::max(0.0, elapsed) * limit.per_second);
}

void local_token_buckets::forget_full(clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    const auto& [s, limit] = entry.second;
    return tokens_at(s, limit, now) >= static_cast<double>(limit.burst);
  });
  // Every one of them in use: a flood of new keys. Starting again lets at most one burst
  // more through per key.
  if (buckets_.size() >= max_buckets) buckets_.clear();
}

std::optional<std::chrono::milliseconds> local_token_buckets::take(const std::vector<bucket>& buckets,
                                                                   clock::time_point now) {
  // Before any is touched: what `taking` points at must stay.
  if (buckets_.size() + buckets.size() > max_buckets) forget_full(now);
  double longest_wait_s = 0;
  std::vector<state*> taking;
  for (const auto& b : buckets) {
    if (!b.limit.enabled()) continue;
    auto [it, added] = buckets_.try_emplace(b.key, state{static_cast<double>(b.limit.burst), now}, b.limit);
    auto& [s, limit] = it->second;
    limit = b.limit;
    s.tokens = tokens_at(s, limit, now);
    s.at = now;
    if (s.tokens < 1.0) longest_wait_s = std::max(longest_wait_s, (1.0 - s.tokens) / limit.per_second);
    taking.push_back(&s);
  }
  if (longest_wait_s > 0) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(longest_wait_s * 1000.0)));
  }
  for (auto* s : taking) s->tokens -= 1.0;
  return std::nullopt;
}

}  // namespace drover::api
