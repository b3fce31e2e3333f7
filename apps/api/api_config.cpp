// api_config.cpp - reading the API's settings from the environment.
#include "api/api_config.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include <drover/error.hpp>

namespace drover::api {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

template <class Int>
Int number(const char* name, const char* text) {
  Int v{};
  std::string_view s(text);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    throw error(errc::invalid_argument, fmt::format("{} must be a number, got '{}'", name, text));
  }
  return v;
}

}  // namespace

api_config api_config::from_env() {
  api_config c;
  if (const char* v = env("PORT")) c.port = number<std::uint16_t>("PORT", v);
  if (const char* v = env("BIND")) c.bind = v;
  if (const char* v = env("BODY_LIMIT")) c.body_limit = number<std::size_t>("BODY_LIMIT", v);
  if (const char* v = env("DOCUMENT_MAX_BYTES")) c.document_limit = number<std::size_t>("DOCUMENT_MAX_BYTES", v);
  if (const char* v = env("DATABASE_URL")) c.database_url = v;
  if (const char* v = env("PUBLIC_URL")) c.public_url = v;
  if (const char* v = env("WEBHOOK_SECRET")) c.webhook_secret = v;
  if (const char* v = env("QUEUE_PREFIX")) c.prefix = v;
  try {
    const char* tiers = env("PRIORITY_TIERS");
    const char* users = env("USER_TIERS");
    const char* fallback = env("DEFAULT_TIER");
    c.priorities = priority_policy(tiers ? tiers : "", users ? users : "", fallback ? fallback : "");
  } catch (const std::invalid_argument& e) {
    throw error(errc::invalid_argument, e.what());
  }
  return c;
}

std::string api_config::own_webhook_url() const {
  auto base = public_url.empty() ? fmt::format("http://127.0.0.1:{}", port) : public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/webhooks/job-completed";
}

}  // namespace drover::api
