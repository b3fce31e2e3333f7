// job_lines.hpp - the job files of `drover add --file`: JSON Lines, one job a line,
// {"name": "...", "data": {...}, "opts": {...}} (data and opts optional, opts with
// BullMQ's names). Sans I/O: it parses text it is given.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <drover/queue.hpp>

namespace drover::cli {

struct numbered_job {
  std::size_t line = 0;  // 1-based line number in the file
  new_job job;
};

// Parses one line. Throws drover::error (invalid_argument) "<source> line <n>: <what>"
// when it is not such an object.
new_job parse_job_line(std::string_view text, std::size_t line_no, std::string_view source);

// Every job of a stream, blank lines skipped; throws at the first bad line (so a
// file with a bad line adds nothing).
std::vector<numbered_job> read_job_lines(std::istream& in, std::string_view source);

}  // namespace drover::cli
