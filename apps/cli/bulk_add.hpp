// bulk_add.hpp - `drover add --file jobs.jsonl`: every job of a JSON Lines file, added
// in chunks with one pipelined add_bulk per chunk.
#pragma once

#include <string>

#include "cli_support.hpp"
#include "common_options.hpp"

namespace drover::cli {

struct bulk_add_command {
  common_options common;
  std::string file;               // a path, or "-" for stdin
  long chunk = 500;               // jobs per add_bulk call
  bool json = false;              // the summary as {"queue", "added"} instead of a sentence
  replication_flags replication;  // applied to every job, over its own opts
};

// The whole file is checked first, so a bad line adds nothing. When Redis fails
// midway, the error says how many jobs were added and from which line on nothing
// was; returns 0 or throws drover::error.
int run_bulk_add(const bulk_add_command& c);

}  // namespace drover::cli
