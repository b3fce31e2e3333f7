// cli_support.cpp - JSON flags and queue options shared by the commands.
#include "cli_support.hpp"

#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include <drover/error.hpp>
#include <drover_app/replicated_adds.hpp>
#include <drover/json.hpp>

namespace json = boost::json;

namespace drover::cli {

// How long a command waits for Redis: a command-line tool should say quickly that Redis
// is not there.
constexpr std::chrono::milliseconds cli_command_timeout{5000};

void add_connection(CLI::App* cmd, common_options& c) {
  // From QUEUE_PREFIX as the apps read it: an operator with the deployment's environment
  // exported read an empty system under "bull" (an observability review).
  cmd->add_option("--prefix", c.prefix, "key prefix (default: QUEUE_PREFIX, or bull)")
      ->envname("QUEUE_PREFIX")
      ->capture_default_str();
  cmd->add_option(
         "--redis", c.redis_url,
         "redis://[user:password@]host:port/db, rediss://... (TLS), "
         "redis+sentinel://host:port,host:port/master, or redis+cluster://host:port,host:port (default: "
         "REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_MASTER, REDIS_CLUSTER_NODES, or REDIS_HOST, REDIS_PORT, "
         "REDIS_PASSWORD, or 127.0.0.1:6379; docs/configuration.md)")
      ->check(redis_url());
  cmd->add_option("--redis-tls-ca", c.tls_ca, "TLS: the CA file to verify Redis with (default: the system's CAs)");
  cmd->add_option("--redis-tls-cert", c.tls_cert, "TLS: a client certificate file (mutual TLS)");
  cmd->add_option("--redis-tls-key", c.tls_key, "TLS: the client certificate's key file");
  cmd->add_option("--redis-tls-server-name", c.tls_server_name, "TLS: the name Redis's certificate must carry");
  cmd->add_flag("--redis-tls-insecure", c.tls_insecure, "TLS: accept any certificate (development only)");
}

void add_common(CLI::App* cmd, common_options& c, bool queue_required) {
  // An empty name (an unset shell variable) is no queue: refused here for every command.
  auto* q = cmd->add_option("--queue,-q", c.queue, "queue name")->check(queue_name());
  if (queue_required) q->required();
  add_connection(cmd, c);
}

void add_shards_flag(CLI::App* cmd, common_options& c) {
  cmd->add_option("--shards", c.shards,
                  "the queue is sharded over this many BullMQ queues, shard i named {<queue>.i} or {<queue>.i.k} "
                  "(docs/deployment.md)")
      ->check(positive<std::size_t>());
}

void add_json_flag(CLI::App* cmd, bool& json) {
  // Set beforehand: the command prints JSON only, and takes the flag so that a script may
  // pass it to every command.
  cmd->add_flag("--json", json,
                json ? "JSON is this command's only output (the flag is accepted so scripts may pass it everywhere)"
                     : "print JSON for scripts instead of the human output");
}

void add_replication_flags(CLI::App* cmd, replication_flags& f) {
  // As REDIS_MIN_REPLICAS and REDIS_REPLICATION_TIMEOUT_MS are read: a wait the CLI's
  // own command timeout (5 s) would cut short cannot succeed, and fails after the write.
  cmd->add_option("--min-replicas", f.min_replicas,
                  "return only once this many Redis replicas confirmed the add (WAIT), else fail; the job may "
                  "still exist on the master (default 0: do not wait)")
      ->check(integer_in(0, app::max_min_replicas, "an integer from 0 to 100"));
  cmd->add_option("--replication-timeout", f.timeout_ms,
                  "ms --min-replicas waits for the replicas, below the CLI's 5 s command timeout (default 1000)")
      ->check(integer_in(1, cli_command_timeout.count() - 1, "an integer from 1 to 4999"));
}

void replication_flags::apply_to(job_options& o) const {
  if (min_replicas) o.replication.min_replicas = *min_replicas;
  if (timeout_ms) o.replication.timeout = std::chrono::milliseconds(*timeout_ms);
}

json::value parse_json(const std::string& text, const char* what) {
  boost::system::error_code ec;
  auto v = drover::parse_json(text, ec);
  if (ec) throw error(errc::invalid_argument, fmt::format("{} is not valid JSON: {}", what, ec.message()));
  return v;
}

bool asks_on_terminal(bool yes) { return !yes && ::isatty(STDIN_FILENO) != 0 && ::isatty(STDERR_FILENO) != 0; }

bool confirmed(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) answer.clear();
  std::transform(answer.begin(), answer.end(), answer.begin(), [](unsigned char c) { return std::tolower(c); });
  if (answer == "y" || answer == "yes") return true;
  std::cerr << "drover: nothing done (not confirmed; --yes skips the question)" << std::endl;
  return false;
}

int not_found_in_queue(std::string_view what, const std::string& queue) {
  std::cerr << fmt::format("drover: {} not found in queue {}", what, queue) << std::endl;
  return exit_code::not_found;
}

int job_not_found(const std::string& id, const std::string& queue) { return not_found_in_queue("job " + id, queue); }

std::string without_script_name(std::string_view message) {
  const auto stop = message.rfind(". ");
  if (stop == std::string_view::npos) return std::string(message);
  const auto word = message.substr(stop + 2);
  const bool script_name = !word.empty() && std::isalpha(static_cast<unsigned char>(word.front())) &&
                           std::all_of(word.begin(), word.end(), [](char ch) {
                             return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
                           });
  return std::string(script_name ? message.substr(0, stop + 1) : message);
}

error without_script_name(const error& e) {
  return error(static_cast<errc>(e.code().value()), without_script_name(std::string_view(e.what())));
}

void warn_of_password_in_flag(std::string_view flag_url) {
  static bool warned = false;
  if (warned || flag_url.empty()) return;
  const auto url = boost::urls::parse_uri(flag_url);
  if (!url) return;  // the connection refuses it, with the reason
  const bool in_user_part = url->has_password() && !url->password().empty();
  if (!in_user_part && !url->params().contains("sentinel_password")) return;
  warned = true;
  std::cerr << "drover: warning: the password in --redis can be read by other local users (ps); give the URL in "
               "REDIS_URL, or the password in REDIS_PASSWORD, instead\n";
}

queue_options queue_opts(const common_options& c) {
  queue_options o;
  o.prefix = c.prefix;
  o.redis = c.redis();
  return o;
}

redis_options common_options::redis() const {
  warn_of_password_in_flag(redis_url);
  auto o = redis_options::from_env(redis_url);  // the variables fill in what --redis leaves out
  if (redis_url.empty()) redis_options::refuse_tls_variables_without_tls(o);
  const bool tls_flags =
      tls_insecure || !tls_ca.empty() || !tls_cert.empty() || !tls_key.empty() || !tls_server_name.empty();
  if (tls_flags && !o.tls.enabled) {
    throw error(errc::invalid_argument, "the --redis-tls-* options need TLS: a rediss:// URL, or REDIS_TLS=yes");
  }
  for (auto [flag, field] : {std::pair{&tls_ca, &o.tls.ca_file}, std::pair{&tls_cert, &o.tls.cert_file},
                             std::pair{&tls_key, &o.tls.key_file}, std::pair{&tls_server_name, &o.tls.server_name}}) {
    if (!flag->empty()) *field = *flag;
  }
  if (tls_insecure) o.tls.verify = false;
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    throw error(errc::invalid_argument, "--redis-tls-cert and --redis-tls-key go together");
  }
  o.connect_timeout = std::chrono::seconds(3);
  o.command_timeout = cli_command_timeout;
  return o;
}

}  // namespace drover::cli
