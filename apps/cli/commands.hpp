// commands.hpp - the subcommands of `drover`, each run to completion on an io_context.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <drover/redis_options.hpp>

namespace drover::cli {

struct common_options {
  std::string queue;
  std::string prefix = "bull";
  std::string redis_url;  // --redis; wins over REDIS_URL and REDIS_HOST/PORT/PASSWORD

  redis_options redis() const;
};

struct worker_command {
  common_options common;
  int concurrency = 1;
  std::string processor = "echo";
  std::string name;
  long lock_duration_ms = 30000;
  long stalled_interval_ms = 30000;
  int max_stalled = 1;
  long drain_delay_ms = 5000;
  long limit_max = 0;
  long limit_duration_ms = 0;
  long shutdown_grace_ms = 30000;
  long metrics_points = 0;
  long default_timeout_ms = 0;    // jobs without a timeout of their own; 0: none
  std::string dead_letter_queue;  // where jobs that fail for good are copied; "": nowhere
};

struct add_command {
  common_options common;
  std::string name;
  std::string data = "{}";
  std::string opts = "{}";
};

struct events_command {
  common_options common;
  std::string from = "$";
};

// `drover schedule ACTION`: job schedulers (repeatable jobs).
struct schedule_command {
  common_options common;
  std::string action;  // upsert, remove, get
  std::string id;
  std::string repeat = "{}";  // BullMQ's repeat options as JSON
  std::string name;           // the jobs' name; default: the id
  std::string data = "{}";
  std::string opts = "{}";
};

// Each returns the process exit code; failures throw drover::error.
int run_worker(const worker_command& c);
int run_add(const add_command& c);
int run_events(const events_command& c);
int run_schedule(const schedule_command& c);

}  // namespace drover::cli
