// ended_job_retention.hpp - how long Redis keeps the API's jobs once they have ended.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>

#include <drover/job_options.hpp>

namespace drover::api {

// An hour after a job completes and a day after it fails, at most 10,000 of each: its
// record lives on in the database (job_logs, the conversation, the document), which the
// routes read after that, and what the job carries of a user (a conversation's messages,
// a file's name in a failure) is not kept in Redis for good. The count bounds what a
// burst leaves behind.
inline void keep_ended_jobs_a_while(job_options& opts) {
  constexpr std::int64_t completed_kept_s = 3600;
  constexpr std::int64_t failed_kept_s = 24 * 3600;
  constexpr std::int64_t ended_kept_count = 10000;
  opts.remove_on_complete = boost::json::object{{"age", completed_kept_s}, {"count", ended_kept_count}};
  opts.remove_on_fail = boost::json::object{{"age", failed_kept_s}, {"count", ended_kept_count}};
}

}  // namespace drover::api
