// log_setup.hpp - how the apps log: readable text or JSON lines, a minimum level, and
// every line scrubbed of the registered secrets (redact.hpp).
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

namespace drover::app {

enum class log_format { text, json };

// "text" or "json"; throws drover::error(invalid_argument) otherwise.
log_format parse_log_format(std::string_view name);
// trace, debug, info, warn (or warning), error, critical, off; throws
// drover::error(invalid_argument) otherwise.
spdlog::level::level_enum parse_log_level(std::string_view name);

// Sets the default logger's formatter and level. Text lines read
// `2026-01-01T00:00:00.000 info message`; JSON lines are one object each:
// {"time":"2026-01-01T00:00:00.000Z","level":"info","msg":"...", "queue":..., "jobId":..., "attempt":...}
// where queue, jobId and attempt are present when the message is about a job
// ("queue <q>: job <id> (attempt <n>) ...").
void configure_logging(log_format format, spdlog::level::level_enum level);

// The format and level from flags (empty: not given), else LOG_FORMAT and LOG_LEVEL,
// else text and info; then configure_logging(). Also registers the environment's
// secrets (add_secrets_from_env). Throws drover::error(invalid_argument) for a bad value.
void configure_logging_from(std::string_view format_flag, std::string_view level_flag);

}  // namespace drover::app
