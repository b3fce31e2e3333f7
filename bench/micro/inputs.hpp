// inputs.hpp - the realistic inputs every micro-benchmark shares: a chat job as the API
// adds it, its hash as BullMQ 6.7.0 leaves it in Redis, and the replies Redis sends back.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "drover/job_options.hpp"

namespace drover::micro {

inline constexpr const char* queue_name = "chat";
inline constexpr const char* job_id = "48213";
inline constexpr std::size_t bulk_size = 100;  // jobs per add_bulk call

// The `data` of a chat job (1,023 bytes of JSON): a message with four turns of history.
const std::string& chat_payload_text();
const boost::json::value& chat_payload();
// The options the API's POST /api/chat/send gives a chat job.
job_options chat_job_options();
// What the chat processor returns: the answer (~600 characters), the provider, the model.
const boost::json::value& chat_result();

// HGETALL of the job's hash right after moveToActive, as captured from Redis after a
// BullMQ 6.7.0 Node Queue.add and Worker: with a 1 KB value Redis keeps the hash as a
// hashtable, so the fields come in hash order, not in the order they were written.
const std::vector<std::string>& chat_job_hash();

// The hash of one of `make bench`'s no-op jobs ({"i": n}, no options), as BullMQ 6.7.0's
// addBulk and moveToActive leave it (a small hash: fields in the order written).
const std::vector<std::string>& noop_job_hash();

// Which job a benchmark reads (BENCHMARK_CAPTURE): chat_job_hash or noop_job_hash.
using job_hash_fn = const std::vector<std::string>& (*)();

// RESP bytes of moveToFinished's reply when it fetched the next job (the worker's steady
// state): [<the job's hash>, <id>, 0, 0].
std::string fetch_reply_bytes(const std::vector<std::string>& hash);
// RESP bytes of the replies to an add_bulk pipeline of bulk_size addStandardJob calls.
const std::string& add_bulk_reply_bytes();

}  // namespace drover::micro
