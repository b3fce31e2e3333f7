// json_formatter.cpp - JSON log lines and secret scrubbing for spdlog.
#include "drover_app/logging/json_formatter.hpp"

#include <spdlog/details/log_msg.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "drover_app/logging/redact.hpp"
#include "drover_app/utf8.hpp"

namespace drover::app {

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
      ++i;
    } else if (c == '\n') {
      out += "\\n", ++i;
    } else if (c == '\r') {
      out += "\\r", ++i;
    } else if (c == '\t') {
      out += "\\t", ++i;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
      ++i;
    } else if (auto n = utf8_sequence(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
}

// The fields of a job line: "queue <q>: job <id> (attempt <n>) ...", the form of every
// line the library and the apps write about a job. Anything else has none.
struct job_fields {
  std::string_view queue, job_id, attempt;
};

job_fields parse_job_line(std::string_view text) {
  job_fields f;
  if (!text.starts_with("queue ")) return f;
  auto rest = text.substr(6);
  auto colon = rest.find(": ");
  if (colon == std::string_view::npos || colon == 0 || rest.substr(0, colon).find(' ') != std::string_view::npos)
    return f;
  f.queue = rest.substr(0, colon);
  rest = rest.substr(colon + 2);
  if (!rest.starts_with("job ")) return f;
  rest = rest.substr(4);
  auto end = rest.find_first_of(" :,;");
  f.job_id = rest.substr(0, end);
  if (end == std::string_view::npos) return f;
  rest = rest.substr(end);
  if (rest.starts_with(" (attempt ")) {
    rest = rest.substr(10);
    auto close = rest.find(')');
    auto n = rest.substr(0, close);
    if (close != std::string_view::npos && !n.empty() && n.find_first_not_of("0123456789") == std::string_view::npos) {
      f.attempt = n;
    }
  }
  return f;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string json_log_line(std::string_view time, std::string_view level, std::string_view message) {
  std::string out = "{\"time\":";
  append_json_string(out, time);
  out += ",\"level\":";
  append_json_string(out, level);
  out += ",\"msg\":";
  append_json_string(out, message);
  // The job a line is about, as fields a log pipeline can filter on. The library's job
  // lines read "queue <q>: job <id> ... attempt <n> ...".
  auto f = parse_job_line(message);
  if (!f.queue.empty()) {
    out += ",\"queue\":";
    append_json_string(out, f.queue);
  }
  if (!f.job_id.empty()) {
    out += ",\"jobId\":";
    append_json_string(out, f.job_id);
  }
  if (!f.attempt.empty()) {
    out += ",\"attempt\":";
    out += f.attempt;
  }
  out += '}';
  return out;
}

void json_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  auto level = spdlog::level::to_string_view(msg.level);
  auto text = scrub_secrets(std::string_view(msg.payload.data(), msg.payload.size()));
  auto line = json_log_line(iso_time(msg.time), std::string_view(level.data(), level.size()), text);
  line += '\n';
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> json_formatter::clone() const { return std::make_unique<json_formatter>(); }

std::string one_line_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // The multi-byte line breaks of UTF-8: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
  auto line_break_at = [text](std::size_t i) -> std::string_view {
    for (std::string_view lb : {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"}) {
      if (text.substr(i, lb.size()) == lb) return lb;
    }
    return {};
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (auto lb = line_break_at(i); !lb.empty()) {
      out += lb.size() == 2 ? "\\u0085" : lb.back() == '\xa8' ? "\\u2028" : "\\u2029";
      i += lb.size() - 1;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (const auto n = utf8_sequence(text, i); n == 0) {
      // Not UTF-8 (an upstream's error body, say): written as its value, as a control
      // is, so that a log reader that decodes UTF-8 strictly takes the line.
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.append(text.substr(i, n));
      i += n - 1;
    }
  }
  return out;
}

void scrubbing_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto text = one_line_text(std::string_view(msg.payload.data(), msg.payload.size()));
  auto escaped = msg;
  escaped.payload = spdlog::string_view_t(text.data(), text.size());
  spdlog::memory_buf_t raw;
  inner_->format(escaped, raw);
  auto clean = scrub_secrets(std::string_view(raw.data(), raw.size()));
  dest.append(clean.data(), clean.data() + clean.size());
}

std::unique_ptr<spdlog::formatter> scrubbing_formatter::clone() const {
  return std::make_unique<scrubbing_formatter>(inner_->clone());
}

}  // namespace drover::app
