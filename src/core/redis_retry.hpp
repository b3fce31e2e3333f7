// redis_retry.hpp - the one way the worker retries while Redis is away: try, and on a
// Redis failure wait (100 ms, doubling up to 2 s) and try again, until a deadline or,
// where the work may be skipped, until the worker closes.
//
// Used by recording an outcome (worker/job_runner.cpp: keep_trying, as the job's lock
// still holds and losing the outcome would run the job twice; a final failure's
// dead-letter copy rides in the same call), adding a scheduler's next job
// (worker/scheduler_iteration.cpp: give_up) and handing back what a finish whose reply
// was lost fetched (worker/lost_fetch.cpp: give_up), and a processor's progress and log
// lines (worker/job_runner.cpp: give_up). Their deadline is one lock duration: after it
// the stalled check owns the job.
//
// Coroutine rules (GCC 12 and lifetimes; also in docs/contributing.md):
// - The attempt is taken by lvalue reference, so it must be a named local: GCC 12
//   miscompiles temporaries inside a co_await full-expression (we met a lambda
//   temporary destroyed twice). Write `auto attempt = [&]() -> awaitable<T> {...};`
//   and then `co_await retry_while_redis_away(state.stop, deadline, policy, attempt)`.
// - A coroutine taking a reference must be awaited while the referent lives: here the
//   owner and the attempt belong to the awaiting frame, which outlives the call.
// - The attempt lambda takes no parameters, so the coroutine it returns cannot refer
//   to its own parameters or temporaries once the lambda's call has returned; it may
//   capture the caller's locals by reference, for the same reason as above.
// - C++ forbids co_await inside a catch block: the error is kept and the wait follows.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "drover/error.hpp"

namespace drover {

// Redis away or the connection interrupted: worth waiting and trying again.
inline bool is_redis_failure(const error& e) {
  return e.is(errc::redis_unavailable) || e.is(errc::redis_timeout) || e.is(errc::cancelled);
}

namespace detail {

// What the owner's closing means to the retries.
enum class on_close {
  keep_trying,  // closing does not end them before the deadline: the work must not be lost
  give_up,      // closing ends them, before the next wait and after it: the work may be skipped
};

// Why retry_while_redis_away returned without a value.
enum class retry_stop {
  failed,   // an error other than Redis being away, or the deadline passed (the last try is at it)
  closing,  // the owner closed (with keep_trying: only once the deadline is near too)
};

template <class T>
struct retry_result {
  std::optional<T> value;                // the attempt's result, when one succeeded
  retry_stop stop = retry_stop::failed;  // otherwise, why the retries ended
  std::optional<error> last_error;       // the last attempt's error, when there was one
};

// Returns the first successful attempt's value (std::monostate for a void attempt), or
// why it stopped. Only drover::error is caught; other exceptions propagate at once.
// Owner has `bool stopped()` and `awaitable<bool> sleep(ms)`, which wakes early when the
// owner stops and returns false then (the worker's stop_signal).
template <class Owner, class Attempt>
auto retry_while_redis_away(Owner& owner, std::chrono::steady_clock::time_point deadline, on_close policy,
                            Attempt& attempt)
    -> boost::asio::awaitable<
        retry_result<std::conditional_t<std::is_void_v<typename std::invoke_result_t<Attempt&>::value_type>,
                                        std::monostate, typename std::invoke_result_t<Attempt&>::value_type>>> {
  using attempt_value = typename std::invoke_result_t<Attempt&>::value_type;
  using clock = std::chrono::steady_clock;
  retry_result<std::conditional_t<std::is_void_v<attempt_value>, std::monostate, attempt_value>> out;
  std::chrono::milliseconds pause{100};
  for (;;) {
    try {
      if constexpr (std::is_void_v<attempt_value>) {
        co_await attempt();
        out.value.emplace();
      } else {
        auto v = co_await attempt();
        out.value.emplace(std::move(v));
      }
      co_return out;
    } catch (const error& e) {
      out.last_error = e;
    }
    const auto now = clock::now();
    if (!is_redis_failure(*out.last_error) || now >= deadline) {
      out.stop = retry_stop::failed;
      co_return out;
    }
    out.stop = retry_stop::closing;
    if (policy == on_close::give_up && owner.stopped()) co_return out;
    // The last wait ends at the deadline, for one more try there: stopping when the next
    // pause would pass it gave up to 2 s early (a 3 s outage cost a 5 s lock's job).
    const auto wait = std::min(pause, std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
    // While closing, the owner's sleep returns at once: keep_trying then tries again
    // without waiting, until the deadline is within one pause.
    const bool awake = co_await owner.sleep(wait);
    if (!awake && (policy == on_close::give_up || clock::now() + pause > deadline)) co_return out;
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace detail
}  // namespace drover
