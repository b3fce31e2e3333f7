// cli_support.cpp - JSON flags and queue options shared by the commands.
#include "cli_support.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <drover/error.hpp>

namespace json = boost::json;

namespace drover::cli {

void add_connection(CLI::App* cmd, common_options& c) {
  cmd->add_option("--prefix", c.prefix, "key prefix")->capture_default_str();
  cmd->add_option("--redis", c.redis_url,
                  "redis://[user:password@]host:port/db (default: REDIS_URL, or REDIS_HOST, REDIS_PORT, "
                  "REDIS_PASSWORD, or 127.0.0.1:6379)");
}

void add_common(CLI::App* cmd, common_options& c, bool queue_required) {
  auto* q = cmd->add_option("--queue,-q", c.queue, "queue name");
  if (queue_required) q->required();
  add_connection(cmd, c);
}

void add_json_flag(CLI::App* cmd, bool& json) {
  cmd->add_flag("--json", json, "print JSON for scripts instead of the human output");
}

json::value parse_json(const std::string& text, const char* what) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) throw error(errc::invalid_argument, fmt::format("{} is not valid JSON: {}", what, ec.message()));
  return v;
}

queue_options queue_opts(const common_options& c) {
  queue_options o;
  o.prefix = c.prefix;
  o.redis = c.redis();
  return o;
}

redis_options common_options::redis() const {
  auto o = redis_url.empty() ? redis_options::from_env() : redis_options::from_url(redis_url);
  // A command-line tool should say quickly that Redis is not there.
  o.connect_timeout = std::chrono::seconds(3);
  o.command_timeout = std::chrono::seconds(5);
  return o;
}

}  // namespace drover::cli
