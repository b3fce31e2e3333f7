// drover.hpp - the whole public API of the drover library in one include.
#pragma once

#include "drover/backoff.hpp"
#include "drover/blocking_queue.hpp"
#include "drover/dead_letter_queue.hpp"
#include "drover/discovery.hpp"
#include "drover/error.hpp"
#include "drover/flow.hpp"
#include "drover/job.hpp"
#include "drover/job_dependencies.hpp"
#include "drover/job_options.hpp"
#include "drover/job_state.hpp"
#include "drover/queue.hpp"
#include "drover/queue_events.hpp"
#include "drover/redis_client.hpp"
#include "drover/redis_options.hpp"
#include "drover/worker.hpp"
#include "drover/worker_events.hpp"
