// ai_failure.cpp - provider failures as user-safe categories; the detail, masked, to the log.
#include "workers/ai_failure.hpp"

#include <fmt/format.h>

#include <drover_app/logging/redact.hpp>

namespace drover::workers {

std::string ai_failure_reason(ai_failure kind, unsigned status) {
  switch (kind) {
    case ai_failure::answered:
      if (status == 429) return "the AI provider is rate limiting requests (HTTP 429)";
      if (status >= 400 && status < 500) return fmt::format("the AI provider refused the request (HTTP {})", status);
      return fmt::format("the AI provider failed (HTTP {})", status);
    case ai_failure::unreachable:
      return "the AI provider could not be reached";
    case ai_failure::timed_out:
      return "the AI provider timed out";
    case ai_failure::unreadable:
      return "the AI provider sent an answer that could not be read";
    case ai_failure::too_long:
      return "the AI provider's answer was longer than this service takes";
  }
  return "the AI provider failed";
}

std::string ai_failure_log_line(ai_failure kind, unsigned status, std::string_view base_url, std::string_view detail) {
  return app::scrub_secrets(
      fmt::format("ai: {} (model server {}): {}", ai_failure_reason(kind, status), app::redact_url(base_url), detail));
}

ai_error ai_failed(ai_failure kind, unsigned status, std::string_view base_url, std::string_view detail) {
  return ai_error(ai_failure_reason(kind, status), ai_failure_log_line(kind, status, base_url, detail));
}

}  // namespace drover::workers
