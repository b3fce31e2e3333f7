// drover.hpp - the whole public API of the drover library in one include.
//
// Logs: the library logs what it does on its own (a job retried or failed for good, a
// job handed back at close, Redis lost and found again) through spdlog's default logger,
// spdlog::default_logger(): unless the program sets another, that writes to stdout at
// level info. drover has no logger of its own; before making queues and workers,
// spdlog::set_level(spdlog::level::warn) quiets it and spdlog::set_default_logger(...)
// sends it to your sinks (link the same spdlog: `pkg-config spdlog`). worker_events.hpp
// reports the same outcomes to code.
//
// GCC 12 miscompiles a temporary inside a co_await full-expression (a braced
// json::object{{...}} argument fails with "array used as initializer"; other temporaries
// have been destroyed twice): name the arguments first, then co_await the call.
#pragma once

#include "drover/backoff.hpp"
#include "drover/blocking_queue.hpp"
#include "drover/clock.hpp"
#include "drover/dead_letter_queue.hpp"
#include "drover/discovery.hpp"
#include "drover/error.hpp"
#include "drover/flow.hpp"
#include "drover/job.hpp"
#include "drover/job_dependencies.hpp"
#include "drover/job_options.hpp"
#include "drover/job_state.hpp"
#include "drover/json.hpp"
#include "drover/manual_worker.hpp"
#include "drover/queue.hpp"
#include "drover/queue_events.hpp"
#include "drover/redis_client.hpp"
#include "drover/redis_options.hpp"
#include "drover/shard_names.hpp"
#include "drover/sharded_queue.hpp"
#include "drover/sharded_worker.hpp"
#include "drover/tracing.hpp"
#include "drover/worker.hpp"
#include "drover/worker_events.hpp"
