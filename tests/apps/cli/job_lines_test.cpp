// job_lines_test.cpp - the JSON Lines job files of `drover add --file`.
#include "job_lines.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <sstream>

#include <drover/error.hpp>

namespace drover::cli {
namespace {

TEST(job_lines, reads_name_data_and_opts_and_skips_blank_lines) {
  std::istringstream in(R"({"name":"a"}

{"name":"b","data":{"n":2},"opts":{"jobId":"b-1","attempts":3,"delay":500}}
  )");
  auto jobs = read_job_lines(in, "jobs.jsonl");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].line, 1u);
  EXPECT_EQ(jobs[0].job.name, "a");
  EXPECT_EQ(boost::json::serialize(jobs[0].job.data), "{}");
  EXPECT_EQ(jobs[1].line, 3u);
  EXPECT_EQ(boost::json::serialize(jobs[1].job.data), R"({"n":2})");
  EXPECT_EQ(jobs[1].job.opts.job_id, "b-1");
  EXPECT_EQ(jobs[1].job.opts.attempts, 3);
}

TEST(job_lines, names_the_line_of_each_kind_of_mistake) {
  struct {
    const char* line;
    const char* message;
  } cases[] = {
      {"{\"name\":", "jobs.jsonl line 4: not valid JSON"},
      {"[1,2]", "jobs.jsonl line 4: expected an object"},
      {R"({"data":{}})", R"(jobs.jsonl line 4: "name" must be a string)"},
      {R"({"name":5})", R"(jobs.jsonl line 4: "name" must be a string)"},
      {R"({"name":"x","opts":5})", R"(jobs.jsonl line 4: "opts" must be an object)"},
      {R"({"name":"x","extra":1})", R"(jobs.jsonl line 4: unknown field "extra")"},
  };
  for (const auto& c : cases) {
    try {
      parse_job_line(c.line, 4, "jobs.jsonl");
      ADD_FAILURE() << "accepted " << c.line;
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
  }
}

TEST(job_lines, a_bad_line_anywhere_refuses_the_whole_stream) {
  std::istringstream in("{\"name\":\"a\"}\n{\"name\":\"b\"}\nnot json\n{\"name\":\"d\"}\n");
  try {
    read_job_lines(in, "stdin");
    ADD_FAILURE() << "accepted a bad line";
  } catch (const error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("stdin line 3:", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace drover::cli
