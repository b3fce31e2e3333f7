// ai_provider.hpp - the model that writes the answers: an OpenAI-compatible server, or echo.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace drover::workers {

struct chat_message {
  std::string role;  // system, user, assistant
  std::string content;
};

struct completion {
  std::string text;
  std::string provider;  // "openai-compatible" or "echo"
  std::string model;
  int chunks = 0;
};

struct ai_settings {
  std::string base_url;               // AI_BASE_URL, e.g. https://api.openai.com/v1; empty: the echo provider
  std::string api_key;                // AI_API_KEY (never logged)
  std::string model = "gpt-4o-mini";  // AI_MODEL
  int max_tries = 3;                  // per job attempt, for 429 and 5xx
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds retry_cap{10000};
  std::chrono::milliseconds read_timeout{20000};
  // AI_MAX_ANSWER_BYTES: an answer's bound. Each progress update carries the text so far
  // and lands in the events stream, and the answer's delivery must fit the API's
  // BODY_LIMIT: a provider streaming without end put 1.8 GB into Redis (a review).
  std::size_t max_answer_bytes = 128 * 1024;
  static constexpr std::size_t max_answer_bytes_limit = 512 * 1024;

  static ai_settings from_env();
};

// Why a completion failed; the job attempt fails with what(), which users read (so a
// category, never the provider's words: ai_failure.hpp). detail() is for the log only:
// the provider's message, the transport error and the model server, secrets masked.
class ai_error : public std::runtime_error {
 public:
  explicit ai_error(const std::string& reason, std::string detail = {})
      : std::runtime_error(reason), detail_(std::move(detail)) {}
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string detail_;
};

class ai_provider {
 public:
  virtual ~ai_provider() = default;
  // Streams a completion; on_delta receives each piece of text as it arrives.
  virtual boost::asio::awaitable<completion> complete(std::vector<chat_message> messages,
                                                      std::function<void(const std::string&)> on_delta) = 0;
};

// The OpenAI-compatible provider when settings.base_url is set (OpenAI, Ollama, vLLM,
// llama.cpp's server), else the built-in echo provider.
std::unique_ptr<ai_provider> make_ai_provider(boost::asio::any_io_executor ex, const ai_settings& settings);

}  // namespace drover::workers
