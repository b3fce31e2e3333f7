// echo_provider.cpp - the built-in provider for `make run` without an AI account: it
// streams a reply built from the prompt, word by word, so progress is visible.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sstream>

#include "workers/ai_provider.hpp"

namespace net = boost::asio;

namespace drover::workers {

std::unique_ptr<ai_provider> make_openai_provider(net::any_io_executor ex, const ai_settings& s);

namespace {

class echo_provider final : public ai_provider {
 public:
  explicit echo_provider(net::any_io_executor ex) : ex_(ex) {}

  net::awaitable<completion> complete(std::vector<chat_message> messages,
                                      std::function<void(const std::string&)> on_delta) override {
    std::string last;
    for (const auto& m : messages) {
      if (m.role == "user") last = m.content;
    }
    std::istringstream words("(echo) You said: " + last);
    completion out;
    out.provider = "echo";
    out.model = "echo";
    std::string word;
    net::steady_timer t(ex_);
    while (words >> word) {
      std::string piece = (out.text.empty() ? "" : " ") + word;
      out.text += piece;
      ++out.chunks;
      on_delta(piece);
      t.expires_after(std::chrono::milliseconds(40));
      co_await t.async_wait(net::use_awaitable);
    }
    co_return out;
  }

 private:
  net::any_io_executor ex_;
};

}  // namespace

std::unique_ptr<ai_provider> make_ai_provider(net::any_io_executor ex, const ai_settings& s) {
  if (s.base_url.empty()) return std::make_unique<echo_provider>(ex);
  return make_openai_provider(ex, s);
}

}  // namespace drover::workers
