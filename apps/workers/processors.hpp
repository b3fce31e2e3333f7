// processors.hpp - the processors of the seed's queues.
#pragma once

#include <string>

#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include "workers/ai_provider.hpp"

namespace drover::workers {

// ai-processing: `generate-response` builds the prompt from the job's context, streams
// the model's answer into the job's progress ({"text": ..., "chunks": n}), returns
// {"response", "provider", "model"}, and queues the job-completed webhook on
// webhook-delivery. Other job names fail at once (unrecoverable).
processor generate_response_processor(ai_provider& ai, queue& webhooks);

class address_policy;

// webhook-delivery: POSTs data.payload as JSON to data.url, signed with the shared secret
// as Standard Webhooks signs (webhook-id, webhook-timestamp, webhook-signature), within
// 10 s. 2xx succeeds; 408, 429, 5xx and network errors fail the attempt (retried with
// the job's backoff); other statuses, a malformed URL and a destination the policy
// refuses fail the job for good. Each attempt is a JSON line of the job's log
// ({"attempt", "at", "durationMs", "status"?, "error"?}).
processor webhook_delivery_processor(std::string secret, const address_policy& destinations);

// document-processing: its processors come with the documents feature; until then a
// job there fails at once with a reason that says so, rather than waiting forever.
processor document_processing_processor();

}  // namespace drover::workers
