// bulk_add.cpp - read and check the whole file, then add it a chunk at a time with a
// progress bar on stderr; chunks keep one pipeline from holding a huge file in flight.
#include "bulk_add.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <drover/json.hpp>
#include <drover/error.hpp>
#include <drover/queue.hpp>

#include "cli_support.hpp"
#include "job_lines.hpp"
#include "progress_bar.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::cli {

namespace {

std::vector<numbered_job> read_file(const std::string& file) {
  if (file == "-") return read_job_lines(std::cin, "stdin");
  std::ifstream in(file);
  if (!in) throw error(errc::invalid_argument, fmt::format("cannot open {}: {}", file, std::strerror(errno)));
  return read_job_lines(in, file);
}

}  // namespace

int run_bulk_add(const bulk_add_command& c) {
  if (c.chunk < 1) throw error(errc::invalid_argument, "--chunk must be at least 1");
  auto jobs = read_file(c.file);
  net::io_context io;
  queue q(io.get_executor(), c.common.queue, queue_opts(c.common));
  progress_bar bar(stderr, jobs.size(), "jobs");
  std::size_t added = 0;
  run_to_end(io, [&]() -> net::awaitable<void> {
    const auto chunk = static_cast<std::size_t>(c.chunk);
    for (std::size_t first = 0; first < jobs.size(); first += chunk) {
      auto last = std::min(first + chunk, jobs.size());
      std::vector<new_job> batch;
      for (auto i = first; i < last; ++i) {
        c.replication.apply_to(jobs[i].job.opts);
        batch.push_back(std::move(jobs[i].job));
      }
      bool failed = false;
      std::string why;
      try {
        co_await q.add_bulk(std::move(batch));
      } catch (const std::exception& e) {
        failed = true;
        why = e.what();
      }
      if (failed) {
        bar.finish();
        // add_bulk pipelines one script per job, so some of this chunk may be in.
        throw error(errc::redis_unavailable,
                    fmt::format("added {} of {} jobs to queue {} (up to line {}); the chunk of lines {}-{} failed, "
                                "some of it may have been added, and nothing after line {} was: {}",
                                added, jobs.size(), c.common.queue, first == 0 ? 0 : jobs[first - 1].line,
                                jobs[first].line, jobs[last - 1].line, jobs[last - 1].line, why));
      }
      added = last;
      bar.update(added);
    }
  });
  bar.finish();
  if (c.json) {
    // Lines sent, not jobs made: the add script answers a duplicate jobId or deduplication
    // id with the job already there, as it answers a new one (a Node review counted 8
    // "added" where 6 jobs were made).
    json::object o{{"queue", c.common.queue}, {"sent", added}};
    std::cout << drover::serialize_json(o) << std::endl;
  } else {
    std::cout << fmt::format(
                     "sent {} job(s) to queue {} from {} (a jobId or deduplication id already there adds "
                     "nothing)",
                     added, c.common.queue, c.file == "-" ? std::string("stdin") : c.file)
              << std::endl;
  }
  return 0;
}

}  // namespace drover::cli
