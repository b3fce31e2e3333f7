// group_commit_test.cpp - drover_app/group_commit.hpp: requests that arrive while a
// batch is in flight form the next batch, each request gets its own outcome; and the
// API's use of it, concurrent sends batched into database::save_user_messages on the
// tests' private PostgreSQL.
#include <drover_app/group_commit.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <drover_app/blocking_call.hpp>
#include <drover_app/db/database.hpp>

#include "support/postgres_server.hpp"

namespace net = boost::asio;

namespace drover::app {
namespace {

using namespace std::chrono_literals;

// Doubles each number; an odd number fails alone, a negative one fails its whole
// batch. Records the batches' sizes. A call stays in flight until every request of the
// test has been submitted and at least `hold_calls` calls have started, so which
// requests share a batch does not depend on how fast a loaded machine runs the loop
// (CI under ASan once saw a 5 ms batch end before the 1 ms submissions ran).
struct doubler {
  net::any_io_executor ex;
  std::vector<std::size_t>* sizes;
  std::size_t* in_flight = nullptr;  // calls running now, and the most seen at once
  std::size_t* most_in_flight = nullptr;
  const std::size_t* submitted = nullptr;  // requests submitted so far, of `total`
  std::size_t total = 0;
  std::size_t hold_calls = 1;
  std::function<void()> on_first_call;

  net::awaitable<std::vector<batch_outcome<int>>> operator()(std::vector<int> in) const {
    sizes->push_back(in.size());
    *most_in_flight = std::max(*most_in_flight, ++*in_flight);
    if (sizes->size() == 1 && on_first_call) on_first_call();
    // A bounded wait: an implementation that never starts the awaited call fails the
    // test's expectations instead of hanging it.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while ((*submitted < total || sizes->size() < hold_calls) && std::chrono::steady_clock::now() < deadline) {
      net::steady_timer t(ex, 1ms);
      co_await t.async_wait(net::use_awaitable);
    }
    --*in_flight;
    std::vector<batch_outcome<int>> out(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] < 0) throw std::runtime_error("batch failed");
      if (in[i] % 2) {
        out[i].error = std::make_exception_ptr(std::invalid_argument("odd " + std::to_string(in[i])));
      } else {
        out[i].value = in[i] * 2;
      }
    }
    co_return out;
  }
};

// What submit() gave one request: its value, or its error's message.
struct answer {
  std::optional<int> value;
  std::string error;
};

net::awaitable<void> submit_one(group_commit<int, int>& gc, int n, answer& a, std::size_t& submitted) {
  try {
    auto call = gc.submit(n);
    ++submitted;  // submit() queues the request as soon as it is awaited, just below
    a.value = co_await std::move(call);
  } catch (const std::exception& e) {
    a.error = e.what();
  }
}

// `ns` submitted at once, then `later` submitted once the first batch is in flight;
// each batch call holds until all are submitted and `hold_calls` calls have started.
std::vector<answer> run(std::size_t max_batch, const std::vector<int>& ns, const std::vector<int>& later,
                        std::vector<std::size_t>& sizes, std::size_t max_in_flight = 1,
                        std::size_t* most_in_flight = nullptr, std::size_t hold_calls = 1) {
  net::io_context io;
  std::size_t in_flight = 0, most = 0, submitted = 0;
  std::vector<answer> answers(ns.size() + later.size());
  std::optional<group_commit<int, int>> gc;
  auto submit_later = [&] {
    for (std::size_t i = 0; i < later.size(); ++i) {
      net::co_spawn(io, submit_one(*gc, later[i], answers[ns.size() + i], submitted), net::detached);
    }
  };
  gc.emplace(
      io.get_executor(), max_batch,
      doubler{io.get_executor(), &sizes, &in_flight, &most, &submitted, answers.size(), hold_calls, submit_later},
      max_in_flight);
  for (std::size_t i = 0; i < ns.size(); ++i) {
    net::co_spawn(io, submit_one(*gc, ns[i], answers[i], submitted), net::detached);
  }
  io.run();
  if (most_in_flight) *most_in_flight = most;
  EXPECT_LE(most, max_in_flight);
  EXPECT_EQ(gc->requests(), ns.size() + later.size());
  EXPECT_EQ(gc->batches(), sizes.size());
  return answers;
}

TEST(group_commit, requests_arriving_together_share_one_batch) {
  std::vector<std::size_t> sizes;
  auto a = run(64, {2, 4, 6, 8}, {}, sizes);
  EXPECT_EQ(sizes, std::vector<std::size_t>{4});
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].value, static_cast<int>(4 * (i + 1)));
}

TEST(group_commit, requests_arriving_during_a_batch_form_the_next) {
  std::vector<std::size_t> sizes;
  auto a = run(64, {2}, {4, 6, 8}, sizes);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(a[0].value, 4);
  EXPECT_EQ(a[3].value, 16);
}

// A second drain takes what arrives while the first batch is in flight at once.
TEST(group_commit, a_second_batch_may_fly_beside_the_first) {
  std::vector<std::size_t> sizes;
  std::size_t most = 0;
  auto a = run(64, {2}, {4, 6}, sizes, 2, &most, 2);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(most, 2u);
  EXPECT_EQ(a[2].value, 12);
}

TEST(group_commit, batches_are_bounded) {
  std::vector<std::size_t> sizes;
  std::vector<int> ns(10, 2);
  auto a = run(4, ns, {}, sizes);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 4, 2}));
  for (const auto& x : a) EXPECT_EQ(x.value, 4);
}

TEST(group_commit, a_request_error_stays_its_own) {
  std::vector<std::size_t> sizes;
  auto a = run(64, {2, 3, 4}, {}, sizes);
  EXPECT_EQ(a[0].value, 4);
  EXPECT_FALSE(a[1].value);
  EXPECT_EQ(a[1].error, "odd 3");
  EXPECT_EQ(a[2].value, 8);
}

TEST(group_commit, a_batch_error_reaches_its_requests_only) {
  std::vector<std::size_t> sizes;
  auto a = run(64, {2, -1}, {6}, sizes);
  EXPECT_EQ(a[0].error, "batch failed");
  EXPECT_EQ(a[1].error, "batch failed");
  EXPECT_EQ(a[2].value, 12);  // the next batch
}

// The API's send path in small: 300 sends from 30 users to 10 conversations each,
// all at once, batched into save_user_messages on a database thread pool; two of them
// malformed. Every good send is stored once, under its own id, and in fewer statements
// than requests; the malformed ones fail alone.
TEST(group_commit, batches_concurrent_sends_into_postgresql) {
  auto db = open_database(test::postgres_server::shared().create_database());
  db->migrate();
  net::io_context io;
  net::thread_pool pool(4);
  using saved = std::optional<saved_user_message>;
  group_commit<user_message_to_save, saved> gc(
      io.get_executor(), 64,
      [&](std::vector<user_message_to_save> batch) -> net::awaitable<std::vector<batch_outcome<saved>>> {
        return [](net::any_io_executor ex, net::thread_pool* pool, database* db,
                  std::vector<user_message_to_save> batch) -> net::awaitable<std::vector<batch_outcome<saved>>> {
          auto work = [db, batch = std::move(batch)]() { return db->save_user_messages(batch); };
          auto call = blocking_call(ex, *pool, std::move(work), std::chrono::milliseconds(10000));
          auto outs = co_await std::move(call);
          std::vector<batch_outcome<saved>> out(outs.size());
          for (std::size_t i = 0; i < outs.size(); ++i) {
            out[i].value = std::move(outs[i].saved);
            out[i].error = outs[i].error;
          }
          co_return out;
        }(io.get_executor(), &pool, db.get(), std::move(batch));
      });
  constexpr int users = 30, per_user = 10;
  struct result {
    std::optional<std::int64_t> id;
    bool refused = false, failed = false;
  };
  std::vector<result> results(users * per_user);
  auto send = [&](int k) -> net::awaitable<void> {
    const int u = k % users;
    std::string content = "m" + std::to_string(k);
    if (k == 17 || k == 211) content += "\xff";
    user_message_to_save m{"conv-" + std::to_string(u), "user-" + std::to_string(u), content, 20, true};
    try {
      auto call = gc.submit(std::move(m));
      auto s = co_await std::move(call);
      if (s) {
        results[k].id = s->message_id;
      } else {
        results[k].refused = true;
      }
    } catch (const database_error&) {
      results[k].failed = true;
    }
  };
  for (int k = 0; k < users * per_user; ++k) net::co_spawn(io, send(k), net::detached);
  io.run();
  pool.join();

  std::set<std::int64_t> ids;
  for (int k = 0; k < users * per_user; ++k) {
    const bool bad = k == 17 || k == 211;
    EXPECT_EQ(results[k].failed, bad) << k;
    EXPECT_FALSE(results[k].refused) << k;
    if (!bad) {
      ASSERT_TRUE(results[k].id) << k;
      ids.insert(*results[k].id);
    }
  }
  EXPECT_EQ(ids.size(), std::size_t{users * per_user - 2});
  EXPECT_LT(gc.batches(), gc.requests());
  for (int u = 0; u < users; ++u) {
    auto stored = db->list_messages("conv-" + std::to_string(u), 100);
    EXPECT_EQ(stored.size(), std::size_t{per_user} - (u == 17 % users) - (u == 211 % users)) << u;
    for (const auto& m : stored) EXPECT_TRUE(ids.count(m.id)) << m.content;
  }
}

}  // namespace
}  // namespace drover::app
