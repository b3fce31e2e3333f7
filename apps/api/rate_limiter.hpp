// rate_limiter.hpp - request limits per user and per client address, shared by every API
// process through Redis (one token-bucket script, apps/api/lua/token_bucket.lua).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <drover/redis_client.hpp>
#include <drover/redis_options.hpp>

#include "api/http_error.hpp"
#include "api/local_token_buckets.hpp"
#include "api/rate_limit.hpp"
#include "httpd/http_types.hpp"

namespace drover::api {

// POST /api/chat/send, POST /api/documents, a Socket.IO join that starts a conversation
// (per user only: it has no address budget).
enum class limited_route { send, upload, conversation };
const char* to_string(limited_route r);

struct rate_decision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: until the next token is back
  // When refused because Redis refused the limiter's script (see below): why, for the 503.
  std::string unchecked;
};

// Token buckets in Redis, one per (route, user) and one per (route, client address); a
// request spends one token from both or from neither, in one script call that reads
// Redis's clock, so that any number of API processes enforce one limit together.
//
// When Redis does not answer, or answers that it cannot write now (out of memory, a
// cluster resharding), the limiter holds each request to the same limits in this process
// (local_token_buckets.hpp), within 250 ms, and logs a warning at most every 10 s: no
// 503 for everyone over an outage that the routes may ride out, and no unbounded rows
// from a client whose sends store their message before their add fails.
// When Redis answers but refuses the script (an ACL user without `~drover:*`, a key of
// another type), the refusal lasts until the operator acts, while the routes themselves
// may work: the request is refused (`unchecked`, a 503) and an error logged at most every
// 10 s, rather than every limit being off for good behind a warning about an outage (an
// operator's review).
//
// Thread safety: none; use it from coroutines on the executor it was made with (the
// API's single-threaded io_context), like redis_client.
class rate_limiter {
 public:
  using bucket = local_token_buckets::bucket;

  // `scope` separates deployments sharing a Redis (the queue prefix): keys are
  // "drover:ratelimit:<scope>:<route>:<user|address>:<id>". One script call touches a
  // user's and an address's key, so on Redis Cluster the scope needs a hash tag, as the
  // queue prefix does ("{bull}"). The connection is made on first use with short timeouts.
  rate_limiter(boost::asio::any_io_executor ex, redis_options redis, rate_limits limits, std::string scope = "bull");
  ~rate_limiter();
  rate_limiter(const rate_limiter&) = delete;
  rate_limiter& operator=(const rate_limiter&) = delete;

  // Takes a token for `route` from the user's bucket and the address's. An empty user or
  // address, or a disabled limit, has no bucket; with none, the answer is "allowed" at
  // once. Never throws for Redis failures (see above).
  boost::asio::awaitable<rate_decision> take(limited_route route, std::string_view user, std::string_view address);
  // The same for explicit buckets (tests, other routes).
  boost::asio::awaitable<rate_decision> take(std::vector<bucket> buckets);

  const rate_limits& limits() const { return limits_; }
  // One read of a key under the limiter's prefix, for /readyz: an ACL without ~drover:*
  // refused every limited request while the API said it was ready (an ACL review).
  // Throws drover::error when Redis refuses it or does not answer.
  boost::asio::awaitable<void> probe();
  // Requests counted in this process because Redis did not answer, or refused because it
  // refused the script, since construction.
  std::uint64_t failures() const { return failures_; }
  // Fails calls in flight (they are allowed) and refuses later ones.
  void close();

 private:
  const rate_limit& limit_for(limited_route route, bool per_user) const;

  rate_limits limits_;
  std::string scope_;
  redis_client redis_;
  local_token_buckets local_;  // while Redis cannot keep the buckets
  std::uint64_t failures_ = 0;
  std::chrono::steady_clock::time_point last_warning_{};
};

// The refusal of a request `d` does not allow: 429 over a limit, with `Retry-After` in
// whole seconds (rounded up, at least 1), or 503 when the limit could not be checked;
// thrown by the gatekeeper.
http_error refusal_of(const rate_decision& d);
// The 429 of a request over a limit, waiting `retry_after`.
http_error too_many_requests(std::chrono::milliseconds retry_after);

}  // namespace drover::api
