// redis_retry_test.cpp - retry_while_redis_away without Redis: an owner whose sleep
// returns at once, and attempts that fail as a table says. Checks when it retries,
// when it stops, and what closing means under each policy.
#include "core/redis_retry.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace net = boost::asio;

namespace drover::detail {
namespace {

using clock = std::chrono::steady_clock;

struct fake_owner {
  bool closing = false;
  bool sleeps = false;  // for real, where a deadline is near
  std::vector<std::chrono::milliseconds> pauses;
  std::function<void()> during_sleep;  // e.g. close while asleep
  bool stopped() const { return closing; }
  net::awaitable<bool> sleep(std::chrono::milliseconds d) {
    pauses.push_back(d);
    if (sleeps) std::this_thread::sleep_for(d);
    if (during_sleep) during_sleep();
    co_return !closing;
  }
};

// Runs the coroutine to its end and returns its result.
template <class T>
T run(net::awaitable<T> a) {
  net::io_context io;
  std::optional<T> out;
  std::exception_ptr failure;
  net::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    failure = e;
    out = std::move(v);
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

const error away(errc::redis_unavailable, "redis at 127.0.0.1:1: connection refused");
const error refused(errc::script_error, "ERR wrong number of arguments");

// Fails with `errors` in turn, then returns the number of calls.
struct scripted_attempt {
  std::vector<error> errors;
  int calls = 0;
  net::awaitable<int> operator()() {
    ++calls;
    if (calls <= static_cast<int>(errors.size())) throw errors[calls - 1];
    co_return calls;
  }
};

const auto far = [] { return clock::now() + std::chrono::hours(1); };

TEST(redis_retry, retries_redis_failures_with_doubling_pauses_until_one_succeeds) {
  fake_owner owner;
  scripted_attempt attempt{{away, away, away, away, away, away}};
  auto r = run(retry_while_redis_away(owner, far(), on_close::keep_trying, attempt));
  ASSERT_TRUE(r.value);
  EXPECT_EQ(*r.value, 7);
  using ms = std::chrono::milliseconds;
  EXPECT_EQ(owner.pauses, (std::vector<ms>{ms(100), ms(200), ms(400), ms(800), ms(1600), ms(2000)}));
}

TEST(redis_retry, stops_at_once_on_another_error) {
  fake_owner owner;
  scripted_attempt attempt{{refused}};
  auto r = run(retry_while_redis_away(owner, far(), on_close::keep_trying, attempt));
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.stop, retry_stop::failed);
  EXPECT_TRUE(r.last_error->is(errc::script_error));
  EXPECT_EQ(attempt.calls, 1);
  EXPECT_TRUE(owner.pauses.empty());
}

// The last wait is cut to end at the deadline, for one more try there (it stopped when the
// next pause would pass the deadline: up to 2 s early, and a 3 s outage cost a job).
// (Real sleeps: what is checked holds however late a busy machine wakes the test.)
TEST(redis_retry, tries_once_more_at_the_deadline_and_then_stops) {
  fake_owner owner;
  owner.sleeps = true;
  scripted_attempt attempt{std::vector<error>(20, away)};
  const auto deadline = clock::now() + std::chrono::milliseconds(400);
  auto r = run(retry_while_redis_away(owner, deadline, on_close::keep_trying, attempt));
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.stop, retry_stop::failed);
  // The last try came at the deadline, not a pause before it (100 + 200 ms, then 400
  // would pass it: it waited what was left instead).
  EXPECT_GE(clock::now(), deadline);
  EXPECT_GE(attempt.calls, 2);
  EXPECT_LT(owner.pauses.back(), std::chrono::milliseconds(400));

  // An outage that ends just before the deadline loses nothing: four refusals over
  // 100 + 200 + 400 ms, and the fifth try, at the deadline, is answered.
  fake_owner short_outage;
  short_outage.sleeps = true;
  scripted_attempt back{{away, away, away, away}};
  auto r2 = run(retry_while_redis_away(short_outage, clock::now() + std::chrono::milliseconds(1000),
                                       on_close::keep_trying, back));
  ASSERT_TRUE(r2.value) << back.calls << " calls";
  EXPECT_EQ(back.calls, 5);
}

TEST(redis_retry, give_up_stops_when_closed_before_or_during_the_wait) {
  fake_owner before;
  before.closing = true;
  scripted_attempt a1{{away, away}};
  auto r1 = run(retry_while_redis_away(before, far(), on_close::give_up, a1));
  EXPECT_EQ(r1.stop, retry_stop::closing);
  EXPECT_EQ(a1.calls, 1);
  EXPECT_TRUE(before.pauses.empty());

  fake_owner during;
  during.during_sleep = [&] { during.closing = true; };
  scripted_attempt a2{{away, away}};
  auto r2 = run(retry_while_redis_away(during, far(), on_close::give_up, a2));
  EXPECT_EQ(r2.stop, retry_stop::closing);
  EXPECT_EQ(a2.calls, 1);
  EXPECT_TRUE(r2.last_error->is(errc::redis_unavailable));
}

TEST(redis_retry, keep_trying_goes_on_after_close_until_the_deadline) {
  fake_owner owner;
  owner.closing = true;
  scripted_attempt attempt{{away, away, away}};
  auto r = run(retry_while_redis_away(owner, far(), on_close::keep_trying, attempt));
  ASSERT_TRUE(r.value);
  EXPECT_EQ(attempt.calls, 4);

  // Near the deadline, closing ends it once a wait (cut short by the close) leaves
  // less than a pause before the deadline.
  fake_owner near;
  near.closing = true;
  near.during_sleep = [] { std::this_thread::sleep_for(std::chrono::milliseconds(60)); };
  scripted_attempt late{{away, away, away}};
  auto r2 =
      run(retry_while_redis_away(near, clock::now() + std::chrono::milliseconds(150), on_close::keep_trying, late));
  EXPECT_FALSE(r2.value);
  EXPECT_EQ(r2.stop, retry_stop::closing);
  EXPECT_EQ(late.calls, 1);

  // Without the close, the same deadline ends it as a failure after the try at it.
  fake_owner open;
  open.sleeps = true;
  scripted_attempt last{std::vector<error>(20, away)};
  const auto deadline = clock::now() + std::chrono::milliseconds(150);
  auto r3 = run(retry_while_redis_away(open, deadline, on_close::keep_trying, last));
  EXPECT_EQ(r3.stop, retry_stop::failed);
  EXPECT_GE(clock::now(), deadline);
  EXPECT_GE(last.calls, 2);
}

TEST(redis_retry, a_void_attempt_yields_a_monostate) {
  fake_owner owner;
  int calls = 0;
  auto attempt = [&]() -> net::awaitable<void> {
    if (++calls == 1) throw away;
    co_return;
  };
  auto r = run(retry_while_redis_away(owner, far(), on_close::give_up, attempt));
  EXPECT_TRUE(r.value);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace drover::detail
