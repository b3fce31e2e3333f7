// group_commit.hpp - batches concurrent requests into one call (issue 15): while the
// batches in flight are as many as allowed, the requests that arrive form the next, so a
// busy server sends one statement or one pipeline for many requests and an idle one
// waits for no timer.
// Header-only (Asio); the API batches POST /api/chat/send's database work and job adds.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace drover::app {

// What a batch call gives one request: its value or its own error.
template <class Out>
struct batch_outcome {
  std::optional<Out> value;
  std::exception_ptr error;  // set instead of value
};

// Lifecycle of a request:
//  1. submit() queues it and, when fewer than max_in_flight drains run, starts one, which
//     first lets the event loop run once more, so that the requests it has ready join (a
//     post, not a timer: an idle server adds no wait);
//  2. a drain takes up to max_batch queued requests and awaits one call of `fn` for
//     them, then the next batch while any are queued. More than one in flight (the
//     API allows 2) keeps a request at a moderate rate from waiting for the batch
//     ahead of it; at saturation every drain is busy and the batches grow;
//  3. each request wakes with its own outcome: fn answers one per request, in order. An
//     exception out of fn, or an answer of the wrong length, fails the whole batch.
// Thread safety: none; submit() from coroutines on `ex` (the API's single-threaded
// executor). The drain holds the shared state, so the object may go before it ends.
template <class In, class Out>
class group_commit {
 public:
  using batch_fn = std::function<boost::asio::awaitable<std::vector<batch_outcome<Out>>>(std::vector<In>)>;

  group_commit(boost::asio::any_io_executor ex, std::size_t max_batch, batch_fn fn, std::size_t max_in_flight = 1)
      : state_(std::make_shared<state>(std::move(ex), max_batch < 1 ? 1 : max_batch, std::move(fn),
                                       max_in_flight < 1 ? 1 : max_in_flight)) {}

  // Returns this request's value or throws its error.
  boost::asio::awaitable<Out> submit(In in) {
    auto w = std::make_shared<waiter>(state_->ex, std::move(in));
    state_->queued.push_back(w);
    if (state_->draining < state_->max_in_flight) {
      ++state_->draining;
      boost::asio::co_spawn(state_->ex, drain(state_), [](std::exception_ptr e) {
        // fn's failures reach the requests; only the drain's own (bad_alloc) get here.
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          spdlog::error("group commit: a drain ended by an exception: {}", x.what());
        }
      });
    }
    boost::system::error_code ec;  // operation_aborted: woken with the outcome
    co_await w->wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (w->error) std::rethrow_exception(w->error);
    if (!w->value) throw std::logic_error("group_commit: a request woke without an outcome");
    co_return std::move(*w->value);
  }

  // Batches sent so far and requests in them, for tests and the benchmark's notes.
  std::size_t batches() const { return state_->batches; }
  std::size_t requests() const { return state_->requests; }

 private:
  struct waiter {
    waiter(boost::asio::any_io_executor ex, In i)
        : in(std::move(i)), wake(std::move(ex), boost::asio::steady_timer::time_point::max()) {}
    In in;
    boost::asio::steady_timer wake;
    std::optional<Out> value;
    std::exception_ptr error;
  };

  struct state {
    state(boost::asio::any_io_executor e, std::size_t m, batch_fn f, std::size_t k)
        : ex(std::move(e)), max_batch(m), max_in_flight(k), fn(std::move(f)) {}
    boost::asio::any_io_executor ex;
    std::size_t max_batch;
    std::size_t max_in_flight;
    batch_fn fn;
    std::deque<std::shared_ptr<waiter>> queued;
    std::size_t draining = 0;  // drains running
    std::size_t batches = 0, requests = 0;
  };

  static boost::asio::awaitable<void> drain(std::shared_ptr<state> s) {
    // One turn of the event loop first: the requests whose reads completed with the
    // first one's are handled in it and join the first batch.
    co_await boost::asio::post(s->ex, boost::asio::use_awaitable);
    while (!s->queued.empty()) {
      std::vector<std::shared_ptr<waiter>> batch;
      std::vector<In> ins;
      while (!s->queued.empty() && batch.size() < s->max_batch) {
        batch.push_back(std::move(s->queued.front()));
        s->queued.pop_front();
        ins.push_back(std::move(batch.back()->in));
      }
      ++s->batches;
      s->requests += batch.size();
      std::vector<batch_outcome<Out>> outs;
      std::exception_ptr failed;
      try {
        auto call = s->fn(std::move(ins));
        outs = co_await std::move(call);
        if (outs.size() != batch.size()) throw std::logic_error("group_commit: the batch call answered a wrong count");
      } catch (...) {
        failed = std::current_exception();
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        auto& w = *batch[i];
        if (failed) {
          w.error = failed;
        } else if (outs[i].error) {
          w.error = outs[i].error;
        } else {
          w.value = std::move(outs[i].value);
        }
        w.wake.cancel();
      }
    }
    --s->draining;
  }

  std::shared_ptr<state> state_;
};

}  // namespace drover::app
