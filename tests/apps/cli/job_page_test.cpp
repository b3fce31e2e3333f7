// job_page_test.cpp - pages of `drover queue jobs` against a real redis-server: newest
// first across states, page boundaries, totals, and search by id or name.
#include "job_page.hpp"

#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;

namespace drover::cli {
namespace {

class job_page_test : public ::testing::Test {
 protected:
  test::redis_server& server = test::redis_server::shared();
  std::string name = test::unique_queue("cli-job-page");

  template <class F>
  void with_queue(F&& f) {
    test::run_async([&](net::io_context& io) -> net::awaitable<void> {
      queue q(io.get_executor(), name, queue_options{"bull", server.options()});
      co_await f(q);
      q.close();
    });
  }

  static std::vector<std::string> ids(const job_page& p) {
    std::vector<std::string> out;
    for (const auto& l : p.jobs) out.push_back(l.j.id + "/" + l.state);
    return out;
  }
};

// Five waiting jobs and two delayed ones, created 1 ms apart so that creation order is
// the id order.
net::awaitable<void> add_jobs(queue& q) {
  for (int i = 1; i <= 7; ++i) {
    job_options o;
    o.job_id = "job-" + std::to_string(i);
    if (i == 3 || i == 6) o.delay = 60'000;
    std::string name = i % 2 ? "odd" : "even";
    boost::json::value data = boost::json::object();
    co_await q.add(name, data, o);
    co_await test::sleep_ms(2);
  }
}

TEST_F(job_page_test, pages_newest_first_across_states) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await add_jobs(q);
    job_page_request r;
    r.per_page = 3;
    auto first = co_await read_job_page(q, r);
    EXPECT_EQ(first.total, 7);
    EXPECT_EQ(ids(first), (std::vector<std::string>{"job-7/waiting", "job-6/delayed", "job-5/waiting"}));
    r.page = 3;
    auto last = co_await read_job_page(q, r);
    EXPECT_EQ(ids(last), (std::vector<std::string>{"job-1/waiting"}));
    r.page = 4;
    auto past = co_await read_job_page(q, r);
    EXPECT_TRUE(past.jobs.empty());
  });
}

TEST_F(job_page_test, one_state_and_search_by_id_or_name) {
  with_queue([&](queue& q) -> net::awaitable<void> {
    co_await add_jobs(q);
    job_page_request delayed;
    delayed.states = {"delayed"};
    auto d = co_await read_job_page(q, delayed);
    EXPECT_EQ(d.total, 2);
    EXPECT_EQ(ids(d), (std::vector<std::string>{"job-6/delayed", "job-3/delayed"}));

    job_page_request by_name;
    by_name.search = "even";
    auto e = co_await read_job_page(q, by_name);
    EXPECT_EQ(e.total, 3);
    EXPECT_EQ(ids(e), (std::vector<std::string>{"job-6/delayed", "job-4/waiting", "job-2/waiting"}));

    job_page_request by_id;
    by_id.search = "job-5";
    by_id.states = {"waiting"};
    auto i = co_await read_job_page(q, by_id);
    EXPECT_EQ(i.total, 1);
    EXPECT_EQ(ids(i), (std::vector<std::string>{"job-5/waiting"}));
  });
}

}  // namespace
}  // namespace drover::cli
