// progress_bar_test.cpp - what the bar looks like; it draws nothing off a terminal.
#include "progress_bar.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace drover::cli {
namespace {

TEST(progress_bar, renders_cells_count_and_percent) {
  EXPECT_EQ(progress_bar::render(0, 1000, "jobs", 10), "[..........]    0/1000 jobs   0%");
  EXPECT_EQ(progress_bar::render(450, 1000, "jobs", 10), "[####......]  450/1000 jobs  45%");
  EXPECT_EQ(progress_bar::render(1000, 1000, "jobs", 10), "[##########] 1000/1000 jobs 100%");
  EXPECT_EQ(progress_bar::render(5, 0, "jobs", 4), "[####] 0/0 jobs 100%");
}

TEST(progress_bar, writes_nothing_when_the_stream_is_not_a_terminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    progress_bar bar(f, 10, "jobs");
    bar.update(5);
    bar.update(10);
  }
  EXPECT_EQ(std::ftell(f), 0L);
  std::fclose(f);
}

}  // namespace
}  // namespace drover::cli
