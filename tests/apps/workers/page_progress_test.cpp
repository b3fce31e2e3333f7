// page_progress_test.cpp - progress updates of a document's pages: every page of a short
// document, at most one per percent of a long one, and always the last.
#include <gtest/gtest.h>

#include "workers/page_progress.hpp"

namespace drover::workers {
namespace {

int reported(int pages) {
  page_progress p;
  int n = 0;
  for (int page = 1; page <= pages; ++page) n += p.worth_reporting(page, pages) ? 1 : 0;
  return n;
}

TEST(page_progress, reports_every_page_of_a_short_document) {
  EXPECT_EQ(reported(1), 1);
  EXPECT_EQ(reported(3), 3);
  EXPECT_EQ(reported(100), 100);
}

TEST(page_progress, reports_a_long_document_once_per_percent_and_its_last_page) {
  EXPECT_EQ(reported(100000), 101);  // the first page (0 %), one per percent to 99 %, the last
  EXPECT_EQ(reported(250), 101);
  page_progress p;
  for (int page = 1; page < 1000; ++page) p.worth_reporting(page, 1000);
  EXPECT_TRUE(p.worth_reporting(1000, 1000));
}

TEST(page_progress, reports_pages_of_an_unknown_total) { EXPECT_TRUE(page_progress{}.worth_reporting(5, 0)); }

}  // namespace
}  // namespace drover::workers
