// json_formatter.hpp - spdlog formatters of the apps: one JSON object per line, and a
// wrapper that keeps another formatter's messages on one line and masks the registered
// secrets in whatever it writes.
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

// Formats with `inner` the message with its line breaks and control characters escaped
// (one_line_text), then masks the registered secrets. Messages quote text from outside
// (a webhook receiver's answer, a file name): unescaped, a CR or LF in it would write a
// line of the caller's choosing into the log.
class scrubbing_formatter final : public spdlog::formatter {
 public:
  explicit scrubbing_formatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

// `text` as one line: CR, LF, tab and the other C0 controls and DEL as \r, \n, \t and
// \xNN, the Unicode line breaks (U+0085, U+2028, U+2029) as \uNNNN. Backslashes stay as
// they are: the aim is one line per message, not a reversible encoding.
std::string one_line_text(std::string_view text);

// The JSON line (without the newline) of one message; exposed for tests.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view message);

}  // namespace drover::app
