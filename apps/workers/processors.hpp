// processors.hpp - the processors of the seed's queues.
#pragma once

#include <optional>
#include <string>

#include <drover/queue.hpp>
#include <drover/worker.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <drover_app/app_queue.hpp>
#include <drover_app/db/database.hpp>
#include <drover_app/webhook_secrets.hpp>

#include "documents/chunking.hpp"
#include "workers/ai_provider.hpp"
#include "workers/delivery_policy.hpp"

namespace drover::workers {

// Where generate-response finds the conversation's documents: the database, read on
// `pool` (its calls block).
struct document_search {
  app::database& db;
  boost::asio::thread_pool& pool;
  std::size_t max_chunks = 4;    // chunks added to the prompt at most
  std::size_t max_chars = 6000;  // their total size at most
};

// ai-processing: `generate-response` builds the prompt from the job's context, streams
// the model's answer into the job's progress ({"text": ..., "chunks": n}), returns
// {"response", "provider", "model"}, and queues the job-completed webhook on
// webhook-delivery. Other job names fail at once (unrecoverable). With `documents`, the
// chunks of the conversation's documents that best match the user's message (full-text
// search) go into the system prompt; a failed search is logged and the answer goes on
// without them. The webhook's add asks for `replication` (an add not confirmed is made
// again within the attempt, a few times, before it fails the attempt; the delivery's
// deduplication keeps a repeat from queueing a second one). The
// job id in the webhook is the app id (app_job_id.hpp: "<shard>-<id>" when ai-processing
// is sharded), the one the API handed out.
//
// `api_receiver` names the API's own receiver: a delivery there is retried for hours, one
// to a URL a user gave for seconds (delivery_policy.hpp).
// When ai-processing is sharded (`ai_shards` shards), the delivery goes to the
// webhook-delivery shard beside the job's own (app_queue::add_beside): one Redis node's
// outage then fails only the chat jobs that live on it.
processor generate_response_processor(ai_provider& ai, app::app_queue& webhooks,
                                      const api_receiver_address& api_receiver, document_search* documents = nullptr,
                                      replication_options replication = {}, std::size_t ai_shards = 0);

// webhook-delivery: POSTs data.payload as JSON to data.url, signed with the shared secret
// (`user_secret` for URLs users gave) as Standard Webhooks signs (webhook-id,
// webhook-timestamp, webhook-signature), within
// 10 s. 2xx succeeds; 401, 403, 408, 429, 5xx and network errors fail the attempt
// (retried with the job's backoff; 401 and 403 for a secret being rotated); other
// statuses, a malformed URL and a destination the policy refuses fail the job for good.
// The webhook-id is the delivery's app id (app_job_id.hpp), the one
// GET /api/webhooks/deliveries/:deliveryId takes. Each attempt is a JSON line of the job's log
// ({"attempt", "at", "durationMs", "status"?, "error"?}).
// Deliveries to URLs users gave (delivery_policy.hpp's priority) run at most
// `user_slots` at once, and one user's (the payload's userId) one at a time: one more is
// put off for a second or three without using an attempt, so that receivers that hang
// take neither the API's own deliveries' slots nor other users'.
// `destinations` guards the API's own deliveries, `user_destinations` those to URLs users
// gave, whose hosts are looked up on `user_lookups` when given (http_request::lookups). An alert message names no URL
// ({"alert": true, "payload"}): it goes to `alert_url` (ALERT_WEBHOOK_URL), a credential that must not sit in the job's
// data, which the dashboard's viewers, `drover queue job` and the dead letters show.
// The secrets deliveries are signed from: WEBHOOK_SECRET for the API's own receiver (by
// the delivery's apiReceiver mark, or its URL being the receiver's, `api_receiver`), each
// user's own key from USER_WEBHOOK_SECRET for a URL a user gave, OPERATOR_WEBHOOK_SECRET
// for the rest (alert messages, deliveries queued by hand).
// During a rotation (the *_PREVIOUS settings) each delivery also carries the signature of
// the previous key, which a receiver not yet given the new one verifies.
struct delivery_keys {
  app::webhook_secrets current;
  std::optional<app::webhook_secrets> previous;
};

processor webhook_delivery_processor(delivery_keys keys, const api_receiver_address& api_receiver,
                                     const address_policy& destinations, const address_policy& user_destinations,
                                     std::size_t user_slots = 1, std::string alert_url = {},
                                     boost::asio::any_io_executor user_lookups = {});

class extraction_process;

// document-processing: `process-document` ({documentId}) reads the upload from the
// database, extracts its text in a child process through `extractor` (progress {page,
// pages, percent} after each PDF page), splits it into chunks and stores text, title,
// page and word counts and chunks, which makes the document ready. An unreadable upload
// (damaged or encrypted PDF, no text) and an extraction that crashed or reached a limit
// ("cannot read 'a.pdf': extraction crashed: signal 11") mark the document failed with
// the reason and fail the job for good; other errors fail the attempt (retried), and the
// document is marked failed after the last one. Runs on the worker's thread pool;
// `extractor` outlives the processor.
processor document_processing_processor(app::database& db, const extraction_process& extractor,
                                        documents::chunking_options chunking = {});

}  // namespace drover::workers
