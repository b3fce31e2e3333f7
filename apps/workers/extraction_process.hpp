// extraction_process.hpp - document extraction in a child process (drover-extract) with
// limits, so that a parser that crashes, hangs or allocates without end fails one job
// and never the Workers process.
#pragma once

#include <chrono>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "documents/extracted_text.hpp"

namespace drover::workers {

// What one extraction may use. The helper sets the first two on itself (RLIMIT_AS,
// RLIMIT_CPU); the parent enforces the wall-clock deadline with SIGKILL.
struct extraction_limits {
  long memory_mib = 1024;             // EXTRACT_MEMORY_MB: address space
  long cpu_seconds = 60;              // EXTRACT_CPU_SECONDS
  std::chrono::seconds timeout{120};  // EXTRACT_TIMEOUT_SECONDS: wall clock

  // Reads the variables above; throws drover::error(invalid_argument) for a value that
  // is not a whole number of at least 1 (16 for the memory).
  static extraction_limits from_env();
};

// The helper failed in a way that trying again would repeat: it crashed, or reached a
// limit. what() is the reason shown to the user: "extraction crashed: signal 11",
// "extraction exceeded 512 MiB", "extraction exceeded 60 s of CPU time",
// "extraction timed out after 120 s".
class extraction_failed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The helper wrote more than extract()'s `max_output` bytes (a document whose text is
// mostly repetition): it was killed before the rest reached this process's memory.
struct extraction_too_long {
  std::size_t max_output;
};

// The extraction was stopped because `stop` said so (the job timed out, was cancelled,
// or the worker shuts down); the child is gone.
struct extraction_stopped {};

// The environment drover-extract runs with, from `environ`-style `env`: only what a
// parser or its runtime may need (locale, time zone, temporary directory, the loader's and
// the allocator's settings, the sanitizers' and the helper's own test switches). The
// Workers app's secrets (WEBHOOK_SECRET, REDIS_URL, DATABASE_URL, AI_API_KEY, ...) stay
// out of the process that parses what users upload, should a parser bug ever hand it to
// an attacker.
std::vector<std::string> extraction_environment(char** env);

// Runs drover-extract on each call.
// Thread safety: extract() may run on several threads at once; each call has its own
// child, whose pipes are close-on-exec so that no other child holds them open.
class extraction_process {
 public:
  // `helper` is the path of drover-extract.
  extraction_process(std::string helper, extraction_limits limits);

  // The path of drover-extract beside the running executable (/proc/self/exe), or
  // EXTRACT_HELPER when set.
  static std::string default_helper();
  // Throws std::invalid_argument when `helper` is not an executable file: checked at
  // start, so that a deployment without it fails there, not every document three times.
  static void check_helper(const std::string& helper);

  // Extracts `bytes` of `media_type` (as documents::extract_text does) in a child.
  // Blocks; polls `stop` about ten times a second and, when it returns true, kills the
  // child and throws extraction_stopped. `progress` runs on this thread; what it throws
  // leaves extract() after the child was killed. Throws documents::unreadable_document
  // as extract_text does, extraction_failed as described above, std::system_error when
  // the child cannot be started, extraction_too_long when the child writes more than
  // `max_output` bytes (its records: the text, the title, the progress).
  documents::extracted_text extract(const std::string& media_type, const std::string& bytes,
                                    const documents::page_progress& progress, const std::function<bool()>& stop,
                                    std::size_t max_output = std::numeric_limits<std::size_t>::max()) const;

  const extraction_limits& limits() const { return limits_; }

 private:
  std::string helper_;
  extraction_limits limits_;
};

}  // namespace drover::workers
