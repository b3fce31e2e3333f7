// job_snapshot_test.cpp - a job and its state read so that a finished state always comes
// with its result, even when the job finishes between the two reads.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include <drover_app/job_snapshot.hpp>

#include "support/async.hpp"

namespace drover::app {
namespace {

// A queue holding one job that finishes, result and state in one step as the script
// does, right after the first read of either kind: the worst moment for the reader.
struct finishing_queue {
  bool finished = false;
  int reads = 0;

  void read() {
    if (reads++ == 0) finished = true;
  }
  boost::asio::awaitable<std::optional<job_state>> get_job_state(std::string id) {
    if (id != "1") co_return std::nullopt;
    auto state = finished ? job_state::completed : job_state::active;
    read();
    co_return state;
  }
  boost::asio::awaitable<std::optional<job>> get_job(std::string id) {
    if (id != "1") co_return std::nullopt;
    job j;
    j.id = id;
    if (finished) j.returnvalue = "the answer";
    read();
    co_return j;
  }
};

job_snapshot snapshot_of(finishing_queue& q, std::string id) {
  job_snapshot got;
  test::run_async([&](auto&) -> boost::asio::awaitable<void> {
    auto read = read_job_snapshot(q, id);
    got = co_await std::move(read);
  });
  return got;
}

TEST(job_snapshot, a_job_finishing_between_the_reads_never_shows_finished_without_its_result) {
  finishing_queue q;
  auto got = snapshot_of(q, "1");
  ASSERT_TRUE(got.job);
  // The older state beside the result; the next read has both.
  EXPECT_EQ(got.state, job_state::active);
  EXPECT_EQ(got.job->returnvalue, boost::json::value("the answer"));
}

TEST(job_snapshot, a_finished_job_has_its_state_and_result) {
  finishing_queue q;
  q.finished = true;
  q.reads = 1;
  auto got = snapshot_of(q, "1");
  ASSERT_TRUE(got.job);
  EXPECT_EQ(got.state, job_state::completed);
  EXPECT_EQ(got.job->returnvalue, boost::json::value("the answer"));
}

TEST(job_snapshot, no_job_is_neither_state_nor_job) {
  finishing_queue q;
  auto got = snapshot_of(q, "2");
  EXPECT_FALSE(got.state);
  EXPECT_FALSE(got.job);
}

}  // namespace
}  // namespace drover::app
