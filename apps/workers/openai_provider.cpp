// openai_provider.cpp - Chat Completions with streaming (server-sent events), retrying 429
// and 5xx with backoff that honours Retry-After.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include <drover/json.hpp>
#include <drover_app/env.hpp>
#include <drover_app/http_url.hpp>
#include <drover_app/logging/redact.hpp>
#include <drover_app/utf8.hpp>

#include "workers/ai_failure.hpp"
#include "workers/ai_provider.hpp"
#include "workers/http_client.hpp"
#include "workers/retry_after.hpp"

namespace net = boost::asio;
namespace json = boost::json;

namespace drover::workers {

using app::env;

namespace {

// Splits an SSE stream into `data:` payloads; lines may arrive split across reads. A line
// is at most `max_line` bytes (false from feed past it): one delta is a few hundred, and
// a provider that sent one line of 60 MB held a Workers thread rescanning it.
class sse_reader {
 public:
  explicit sse_reader(std::size_t max_line) : max_line_(max_line) {}

  template <class F>
  bool feed(std::string_view bytes, F&& on_data) {
    buffer_.append(bytes);
    std::size_t start = 0;
    for (;;) {
      // Where the unfinished line's search stopped: each byte is looked at once.
      auto nl = buffer_.find('\n', std::max(start, scanned_));
      if (nl == std::string::npos) {
        scanned_ = buffer_.size();
        break;
      }
      scanned_ = 0;
      std::string_view line(buffer_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        on_data(line);
      }
      start = nl + 1;
    }
    buffer_.erase(0, start);
    scanned_ = buffer_.size();
    return buffer_.size() <= max_line_;
  }

 private:
  std::size_t max_line_;
  std::string buffer_;
  std::size_t scanned_ = 0;  // bytes of buffer_ known to hold no newline
};

std::string provider_message(const std::string& body) {
  boost::system::error_code ec;
  auto v = drover::parse_json(body, ec);
  if (!ec && v.is_object()) {
    if (auto* e = v.get_object().if_contains("error")) {
      if (e->is_object() && e->get_object().contains("message") && e->get_object().at("message").is_string()) {
        return std::string(e->get_object().at("message").get_string());
      }
      if (e->is_string()) return std::string(e->get_string());
    }
  }
  return body.substr(0, 300);
}

class openai_provider final : public ai_provider {
 public:
  openai_provider(net::any_io_executor ex, ai_settings s) : ex_(ex), s_(std::move(s)) {
    while (!s_.base_url.empty() && s_.base_url.back() == '/') s_.base_url.pop_back();
  }

  net::awaitable<completion> complete(std::vector<chat_message> messages,
                                      std::function<void(const std::string&)> on_delta) override {
    json::array msgs;
    for (const auto& m : messages) {
      json::object o;
      o["role"] = m.role;
      o["content"] = m.content;
      msgs.push_back(std::move(o));
    }
    json::object body;
    body["model"] = s_.model;
    body["messages"] = std::move(msgs);
    body["stream"] = true;
    const std::string payload = drover::serialize_json(body);

    for (int attempt = 1;; ++attempt) {
      http_request req;
      req.url = s_.base_url + "/chat/completions";
      req.headers.emplace_back("Content-Type", "application/json");
      req.headers.emplace_back("Accept", "text/event-stream");
      if (!s_.api_key.empty()) req.headers.emplace_back("Authorization", "Bearer " + s_.api_key);
      req.body = payload;
      req.read_timeout = s_.read_timeout;

      completion out;
      out.provider = "openai-compatible";
      out.model = s_.model;
      // A delta's line is its text, JSON-escaped (up to 6 bytes a byte, "\u00XX"), and an
      // envelope of a few hundred bytes.
      const std::size_t max_line = 6 * s_.max_answer_bytes + 64 * 1024;
      sse_reader sse(max_line);
      bool done = false;
      std::string bad_chunk;
      std::function<void(std::string_view)> on_data = [&](std::string_view bytes) {
        const bool line_fits = sse.feed(bytes, [&](std::string_view data) {
          if (done || !bad_chunk.empty()) return;
          if (data == "[DONE]") {
            done = true;
            return;
          }
          boost::system::error_code ec;
          auto v = drover::parse_json(data, ec);
          const json::value* delta = nullptr;
          if (!ec && v.is_object()) {
            if (auto* choices = v.get_object().if_contains("choices");
                choices && choices->is_array() && !choices->get_array().empty()) {
              const auto& c0 = choices->get_array()[0];
              if (c0.is_object()) {
                if (auto* d = c0.get_object().if_contains("delta"); d && d->is_object()) {
                  delta = d->get_object().if_contains("content");
                }
              }
            }
            if (auto* m = v.get_object().if_contains("model"); m && m->is_string())
              out.model = std::string(m->get_string());
          }
          if (ec || !v.is_object()) {
            bad_chunk = std::string(data.substr(0, 200));
            return;
          }
          if (delta && delta->is_string() && !delta->get_string().empty()) {
            // Stored as text (the answer, its progress, its job_logs row): no NUL in it.
            std::string piece = app::without_nul(delta->get_string());
            out.text += piece;
            ++out.chunks;
            if (out.text.size() > s_.max_answer_bytes) {
              throw ai_failed(ai_failure::too_long, 200, s_.base_url,
                              fmt::format("the answer passed AI_MAX_ANSWER_BYTES ({} bytes)", s_.max_answer_bytes));
            }
            on_delta(piece);
          }
        });
        if (!line_fits) {
          throw ai_failed(ai_failure::too_long, 200, s_.base_url,
                          fmt::format("a stream line passed {} bytes without ending", max_line));
        }
      };
      // What fails here is said to the user as a category only (ai_failure.hpp): the
      // provider's body, the URL and the transport's message go to the log.
      http_response res;
      std::string transport_failure;
      auto transport_kind = ai_failure::unreachable;
      try {
        res = co_await fetch(ex_, std::move(req), on_data);
      } catch (const transport_error& e) {
        transport_failure = e.what();
        if (e.timed_out()) transport_kind = ai_failure::timed_out;
      } catch (const bad_destination& e) {
        transport_failure = e.what();
      }
      if (!transport_failure.empty()) throw ai_failed(transport_kind, 0, s_.base_url, transport_failure);
      if (res.status >= 200 && res.status < 300) {
        if (!bad_chunk.empty())
          throw ai_failed(ai_failure::unreadable, res.status, s_.base_url, "a malformed stream chunk: " + bad_chunk);
        if (!done && out.text.empty())
          throw ai_failed(ai_failure::unreadable, res.status, s_.base_url, "the stream ended without an answer");
        co_return out;
      }
      auto message = provider_message(res.body);
      const bool retryable = res.status == 429 || res.status >= 500;
      if (!retryable || attempt >= s_.max_tries) {
        throw ai_failed(ai_failure::answered, res.status, s_.base_url,
                        fmt::format("answered {}: {}", res.status, message));
      }
      auto wait = std::min(s_.retry_cap, s_.retry_base * (1 << (attempt - 1)));
      if (auto it = res.headers.find("retry-after"); it != res.headers.end()) {
        if (auto asked = retry_after_wait(it->second, std::chrono::system_clock::now(), s_.retry_cap)) wait = *asked;
      }
      spdlog::warn("ai: the model server answered {} ({}); try {} of {} in {} ms", res.status,
                   app::scrub_secrets(message), attempt + 1, s_.max_tries, wait.count());
      net::steady_timer t(ex_, wait);
      co_await t.async_wait(net::use_awaitable);
    }
  }

 private:
  net::any_io_executor ex_;
  ai_settings s_;
};

}  // namespace

ai_settings ai_settings::from_env() {
  ai_settings s;
  if (const char* v = env("AI_BASE_URL")) {
    // Checked here: an app that started with a typo would fail every chat job three times.
    if (!app::http_url(v)) {
      throw error(errc::invalid_argument,
                  fmt::format("AI_BASE_URL must be an http or https URL with a host (and a port, if any, from 1 to "
                              "65535) such as https://api.openai.com/v1, got '{}'",
                              v));
    }
    s.base_url = v;
  }
  if (const char* v = env("AI_API_KEY")) s.api_key = v;
  if (const char* v = app::env_exact("AI_MODEL")) s.model = v;
  if (const char* v = env("AI_TIMEOUT_MS")) s.read_timeout = app::env_ms("AI_TIMEOUT_MS", v, 1);
  if (const char* v = env("AI_MAX_ANSWER_BYTES")) {
    s.max_answer_bytes =
        app::env_number<std::size_t>("AI_MAX_ANSWER_BYTES", v, 1024, ai_settings::max_answer_bytes_limit);
  }
  return s;
}

std::unique_ptr<ai_provider> make_openai_provider(net::any_io_executor ex, const ai_settings& s) {
  return std::make_unique<openai_provider>(ex, s);
}

}  // namespace drover::workers
