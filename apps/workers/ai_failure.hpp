// ai_failure.hpp - what a user may read of an AI provider's failure, and what the log gets.
#pragma once

#include <string>
#include <string_view>

#include "workers/ai_provider.hpp"

namespace drover::workers {

// Why an attempt at the model server failed, as a category. The job's failure reason is
// read by end users (GET /api/chat/job/:id, Socket.IO's job-failed) and shown on the
// dashboard, so it never carries the provider's body, its URL, host or headers: those
// echo API keys and name internal hosts. Operators read the detail in the Workers app's log.
enum class ai_failure {
  answered,     // an HTTP status other than 2xx (with `status`)
  unreachable,  // DNS, connect, TLS, reset, or an unusable AI_BASE_URL
  timed_out,    // no answer, or the stream went silent, within AI_TIMEOUT_MS
  unreadable,   // a 2xx whose stream could not be read, or held no answer
  too_long,     // the answer passed AI_MAX_ANSWER_BYTES, or a stream line passed its bound
};

// The short reason a user may see: "the AI provider refused the request (HTTP 401)",
// "the AI provider is rate limiting requests (HTTP 429)", "the AI provider failed (HTTP
// 503)", "the AI provider could not be reached", "the AI provider timed out", "the AI
// provider sent an answer that could not be read".
std::string ai_failure_reason(ai_failure kind, unsigned status = 0);

// The log line for operators: the reason, the model server (its URL's password masked)
// and the detail, with every registered secret (AI_API_KEY among them, redact.hpp) masked.
std::string ai_failure_log_line(ai_failure kind, unsigned status, std::string_view base_url, std::string_view detail);

// The error to throw: what() is only ai_failure_reason, detail() ai_failure_log_line
// (the processor logs it at warn with the job's id: generate_response.cpp).
ai_error ai_failed(ai_failure kind, unsigned status, std::string_view base_url, std::string_view detail);

}  // namespace drover::workers
