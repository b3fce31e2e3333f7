// file_limit.hpp - the open-file limit a server needs for its connection cap.
//
// Every connection is a descriptor, and so is each connection it refuses while it answers
// the refusal, besides Redis's and the database's. Under the common default `ulimit -n
// 1024` the default cap of 1000 connections ran out of descriptors first: accept failed
// ten times a second with "Too many open files" and /readyz stopped answering (a security
// review). As Redis does at start, the soft limit is raised toward the hard one.
#pragma once

#include <cstddef>
#include <string>

namespace drover::httpd {

// Descriptors a server of `max_connections` may hold: those, as many refused ones, and a
// margin for everything else.
std::size_t descriptors_needed(std::size_t max_connections);

struct file_limit_outcome {
  bool enough = true;   // the soft limit is `needed` or more now
  std::string message;  // what was done, or what to raise; empty when nothing changed
};

// Raises the soft RLIMIT_NOFILE to `needed` where the hard limit allows.
file_limit_outcome ensure_file_limit(std::size_t needed);

}  // namespace drover::httpd
