// json_formatter.hpp - spdlog formatters of the apps: one JSON object per line, and a
// wrapper that masks the registered secrets in whatever another formatter writes.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace drover::app {

// One line per message: {"time","level","msg"} plus "queue", "jobId" and "attempt" when
// the message is a job line ("queue q: job 7 (attempt 2) failed: ..."). Messages are escaped as
// JSON strings (quotes, backslashes, control characters; bytes that are not UTF-8
// become U+FFFD), and scrubbed of the registered secrets.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Formats with `inner`, then masks the registered secrets.
class scrubbing_formatter final : public spdlog::formatter {
 public:
  explicit scrubbing_formatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

// The JSON line (without the newline) of one message; exposed for tests.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view message);

}  // namespace drover::app
