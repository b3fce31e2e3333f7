// bulk_add.cpp - read and check the whole file, then add it a chunk at a time with a
// progress bar on stderr; chunks keep one pipeline from holding a huge file in flight.
#include "bulk_add.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

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

// A chunk Redis took in part (at maxmemory it refuses each add of a pipeline on its
// own): exactly which lines went in, so that the file can be resumed without losing or
// repeating a job (a review counted 1,135 jobs where the message said 1,000 and "some").
// `added` jobs before the chunk at `first` went in; `outcomes` are the chunk's.
error partly_added(const bulk_add_command& c, const std::vector<numbered_job>& jobs, std::size_t added,
                   std::size_t first, const std::vector<std::optional<job>>& outcomes, const std::string& why) {
  std::vector<std::size_t> refused;  // indexes into jobs
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    if (!outcomes[k]) refused.push_back(first + k);
  }
  const std::size_t went_in = added + outcomes.size() - refused.size();
  const auto last = first + outcomes.size();  // one past the chunk
  const bool tail_refused =
      !refused.empty() && refused.back() + 1 == last && refused.back() + 1 - refused.front() == refused.size();
  std::string which;
  if (tail_refused) {
    which =
        fmt::format("every line before line {} was added and none from it on: resume with the lines from line {} on",
                    jobs[refused.front()].line, jobs[refused.front()].line);
  } else {
    std::vector<std::size_t> lines;
    for (std::size_t k = 0; k < refused.size() && k < 20; ++k) lines.push_back(jobs[refused[k]].line);
    which = fmt::format(
        "of lines {}-{}, these were not added: {}{}, and nothing after line {} was", jobs[first].line,
        jobs[last - 1].line, fmt::join(lines, ", "),
        refused.size() > lines.size() ? fmt::format(" and {} more", refused.size() - lines.size()) : std::string(),
        jobs[last - 1].line);
  }
  return error(errc::redis_unavailable, fmt::format("added {} of {} jobs to queue {}; {}: {}", went_in, jobs.size(),
                                                    c.common.queue, which, why));
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
      std::optional<std::vector<std::optional<job>>> outcomes;  // each job's, when Redis said
      try {
        co_await q.add_bulk(std::move(batch));
      } catch (const bulk_add_error& e) {
        failed = true;
        why = e.what();
        outcomes = e.added;
      } catch (const error& e) {
        failed = true;
        why = e.what();
        // Redis refused every add of the chunk (add_bulk throws bulk_add_error when it
        // took some): none of it went in. A lost connection says nothing of any.
        if (e.is(errc::redis_error) || e.is(errc::script_error)) outcomes.emplace(last - first);
      } catch (const std::exception& e) {
        failed = true;
        why = e.what();
      }
      if (failed) {
        bar.finish();
        if (outcomes) throw partly_added(c, jobs, added, first, *outcomes, why);
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
