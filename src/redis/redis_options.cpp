// redis_options.cpp - reading the Redis location from a URL or the environment: plain,
// TLS (rediss://), Sentinel (redis+sentinel://) and Cluster (redis+cluster://) forms.
#include "drover/redis_options.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "drover/error.hpp"
#include "drover/redact_url.hpp"
#include "redis/transport.hpp"

namespace drover {

namespace {

template <class Int>
Int parse_number(std::string_view text, std::string_view what, std::string_view source) {
  Int v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    throw error(errc::invalid_argument, fmt::format("invalid {} '{}' in {}", what, text, source));
  }
  return v;
}

// A port to connect to: 0 names none (a client retried it forever, an operator review).
std::uint16_t parse_port(std::string_view text, std::string_view source) {
  const auto port = parse_number<std::uint16_t>(text, "port", source);
  if (port == 0) throw error(errc::invalid_argument, fmt::format("invalid port '0' in {}: 1 to 65535", source));
  return port;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

// host:port,... ([v6]:port for IPv6 hosts): a cluster's seeds, the sentinels.
std::string endpoint_list(const std::vector<redis_endpoint>& seeds) {
  std::string out;
  for (const auto& s : seeds) {
    if (!out.empty()) out += ',';
    out += s.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", s.host, s.port)
                                                 : fmt::format("{}:{}", s.host, s.port);
  }
  return out;
}

[[noreturn]] void invalid(std::string message) { throw error(errc::invalid_argument, std::move(message)); }

bool parse_yes_no(std::string_view text, std::string_view source) {
  for (const char* yes : {"yes", "true", "1", "on"}) {
    if (text == yes) return true;
  }
  for (const char* no : {"no", "false", "0", "off"}) {
    if (text == no) return false;
  }
  invalid(fmt::format("invalid {} '{}' (expected yes or no)", source, text));
}

// "host:port", "[v6]:port" or "host" (then `default_port`).
redis_endpoint parse_endpoint(std::string_view text, std::string_view source, std::uint16_t default_port) {
  redis_endpoint e;
  e.port = default_port;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) invalid(fmt::format("invalid address '{}' in {}", text, source));
    e.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') invalid(fmt::format("invalid address '{}' in {}", text, source));
      port = rest.substr(1);
    }
  } else {
    auto colon = text.rfind(':');
    e.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (e.host.empty()) invalid(fmt::format("missing host in '{}' in {}", text, source));
  if (port.data() && port.empty()) invalid(fmt::format("invalid port in '{}' in {}", text, source));
  if (!port.empty()) e.port = parse_port(port, source);
  return e;
}

std::vector<redis_endpoint> parse_endpoints(std::string_view list, std::string_view source,
                                            std::uint16_t default_port) {
  if (list.empty()) invalid(fmt::format("no hosts in {}", source));
  std::vector<redis_endpoint> out;
  for (;;) {
    auto comma = list.find(',');
    out.push_back(parse_endpoint(list.substr(0, comma), source, default_port));  // "" (a stray comma): refused
    if (comma == std::string_view::npos) return out;
    list = list.substr(comma + 1);
  }
}

void apply_param(redis_options& o, std::string_view name, std::string value, std::string_view url) {
  const bool tls_param = name.substr(0, 4) == "tls_";
  if (tls_param && !o.tls.enabled) {
    invalid(fmt::format("Redis URL parameter '{}' needs a TLS URL (rediss://, rediss+sentinel:// or rediss+cluster://)",
                        name));
  }
  if (name.substr(0, 9) == "sentinel_" && o.sentinel.sentinels.empty()) {
    invalid(fmt::format("Redis URL parameter '{}' needs a Sentinel URL (redis+sentinel://)", name));
  }
  if (name == "tls_ca") {
    o.tls.ca_file = std::move(value);
  } else if (name == "tls_cert") {
    o.tls.cert_file = std::move(value);
  } else if (name == "tls_key") {
    o.tls.key_file = std::move(value);
  } else if (name == "tls_server_name") {
    o.tls.server_name = std::move(value);
  } else if (name == "tls_verify") {
    o.tls.verify = parse_yes_no(value, "tls_verify in Redis URL");
  } else if (name == "sentinel_username") {
    o.sentinel.username = std::move(value);
  } else if (name == "sentinel_password") {
    o.sentinel.password = std::move(value);
  } else if (name == "sentinel_tls_server_name" && o.tls.enabled) {
    o.sentinel.tls_server_name = std::move(value);
  } else if (name == "sentinel_tls_server_name") {
    invalid("Redis URL parameter 'sentinel_tls_server_name' needs a TLS Sentinel URL (rediss+sentinel://)");
  } else {
    invalid(
        fmt::format("unknown parameter '{}' in Redis URL '{}' (known: tls_ca, tls_cert, tls_key, "
                    "tls_server_name, tls_verify, sentinel_username, sentinel_password, sentinel_tls_server_name)",
                    name, redact_url(url)));
  }
}

// What no one field shows: a certificate without its key, a Sentinel without a master.
void check(const redis_options& o, std::string_view source) {
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    invalid(fmt::format("a TLS client certificate and its key go together (only one is given in {})", source));
  }
  if (!o.sentinel.sentinels.empty() && o.sentinel.master_name.empty()) {
    invalid(fmt::format(
        "Sentinel needs the master's name (in {}): REDIS_SENTINEL_MASTER beside REDIS_SENTINELS, or the path of a "
        "redis+sentinel://host:port,host:port/<master> URL",
        source));
  }
  if (!o.cluster.seeds.empty() && !o.sentinel.sentinels.empty()) {
    invalid(fmt::format("Redis Cluster and Sentinel do not go together (both are given in {})", source));
  }
  if (!o.cluster.seeds.empty() && o.db != 0) {
    invalid(fmt::format("Redis Cluster has only database 0 (database {} is given in {})", o.db, source));
  }
}

constexpr std::string_view url_forms =
    "expected redis://[[user]:password@]host[:port][/db], or rediss://, redis+sentinel://, rediss+sentinel://, "
    "redis+cluster://, rediss+cluster://";

}  // namespace

// Every message below that quotes the URL quotes it redacted: a typo must not print the
// password into a terminal or a log.
redis_options redis_options::from_url(std::string_view text) {
  redis_options o;
  if (text.find("://") == std::string_view::npos) {
    invalid(fmt::format("invalid Redis URL '{}': no scheme ({})", redact_url(text), url_forms));
  }
  // Boost.URL cannot read a list of hosts: a Sentinel or Cluster URL's hosts are taken
  // out here, and the rest (user info, path, query) is read as a plain URL to one
  // placeholder.
  const auto scheme_end = text.find("://");
  const auto scheme = text.substr(0, scheme_end);
  const bool sentinel = scheme == "redis+sentinel" || scheme == "rediss+sentinel";
  const bool cluster = scheme == "redis+cluster" || scheme == "rediss+cluster";
  const auto rest = text.substr(scheme_end + 3);
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  // The last '@' ends the user info, as WHATWG URLs (Node's, so ioredis's) read it: a
  // password with an '@' left unescaped was read as a host and "invalid port".
  const auto at = authority.rfind('@');
  std::string userinfo;
  if (at != std::string_view::npos) {
    for (char c : authority.substr(0, at)) userinfo += c == '@' ? std::string("%40") : std::string(1, c);
    userinfo += '@';
  }
  const auto hosts = at == std::string_view::npos ? authority : authority.substr(at + 1);
  // An '@' past the authority's end: most likely a password with an unencoded '#', '/' or
  // '?', which ends the authority early and leaves a "port" of the password's letters (an
  // ACL review was told "invalid port" of a URL whose port was fine).
  const std::string encode_hint =
      at == std::string_view::npos && rest.substr(authority.size()).find('@') != std::string_view::npos
          ? "; if the password holds '#', '/' or '?', percent-encode them (%23, %2F, %3F)"
          : "";
  const auto bad_port = [&] {
    invalid(fmt::format("invalid port in Redis URL '{}': a port is a number from 1 to 65535{}", redact_url(text),
                        encode_hint));
  };
  std::string plain = fmt::format("{}://{}{}{}", scheme, userinfo, hosts, rest.substr(authority.size()));
  if (sentinel || cluster) {
    if (sentinel) {
      o.sentinel.sentinels = parse_endpoints(hosts, "Redis Sentinel URL", 26379);
    } else {
      o.cluster.seeds = parse_endpoints(hosts, "Redis Cluster URL", 6379);
    }
    plain = fmt::format("redis://{}placeholder{}", userinfo, rest.substr(authority.size()));
  }
  o.tls.enabled = scheme == "rediss" || scheme == "rediss+sentinel" || scheme == "rediss+cluster";

  auto parsed = boost::urls::parse_uri(plain);
  if (!parsed) {
    invalid(fmt::format("invalid Redis URL '{}': {} ({})", redact_url(text), parsed.error().message(), url_forms));
  }
  const auto& u = *parsed;
  if (sentinel || cluster) {
    // parsed.scheme() is the placeholder's.
  } else if (u.scheme() != "redis" && u.scheme() != "rediss") {
    invalid(
        fmt::format("unsupported Redis URL scheme '{}' (expected redis://, rediss://, redis+sentinel://, "
                    "rediss+sentinel://, redis+cluster:// or rediss+cluster://)",
                    std::string(u.scheme())));
  }
  if (cluster) {
    o.host = o.cluster.seeds.front().host;  // until the slot map names the nodes
    o.port = o.cluster.seeds.front().port;
  } else if (!u.host().empty()) {
    o.host = u.host_name().empty() ? std::string(u.encoded_host()) : std::string(u.host_name());
  } else if (!sentinel) {
    // "redis://", "redis://:6380": silently this machine's Redis, whatever REDIS_HOST said
    // (a configuration review), where a production start should say what it lacks.
    invalid(fmt::format("missing host in Redis URL '{}' (redis://127.0.0.1:6379 is this machine's){}", redact_url(text),
                        encode_hint));
  }
  if (!cluster && u.host_type() == boost::urls::host_type::ipv6) o.host = u.host_ipv6_address().to_string();
  if (!cluster && u.has_port() && !u.port().empty()) {
    if (u.port().find_first_not_of("0123456789") != std::string_view::npos) bad_port();
    o.port = parse_port(u.port(), fmt::format("Redis URL '{}'", redact_url(text)));
  }
  if (u.has_userinfo()) {
    o.username = u.user();
    o.password = u.password();
  }
  std::string path = u.path();
  if (!path.empty() && path.front() != '/') {
    // Boost.URL reads "host:12x" as port "12" and path "x": the port was not a number.
    bad_port();
  }
  if (u.has_port() && u.port().empty()) bad_port();
  std::string_view db_text = path.empty() ? std::string_view() : std::string_view(path).substr(1);
  if (!o.sentinel.sentinels.empty()) {
    // /master[/db]
    auto slash = db_text.find('/');
    o.sentinel.master_name = std::string(db_text.substr(0, slash));
    db_text = slash == std::string_view::npos ? std::string_view() : db_text.substr(slash + 1);
    o.host = o.sentinel.sentinels.front().host;  // until the sentinels name the master
    o.port = 0;
  }
  if (!db_text.empty()) {
    o.db = parse_number<int>(db_text, "database number", fmt::format("Redis URL '{}'", redact_url(text)));
    if (o.db < 0) invalid(fmt::format("invalid database number in Redis URL '{}'", redact_url(text)));
  }
  for (auto param : u.params()) apply_param(o, param.key, param.value, text);
  check(o, "Redis URL");
  return o;
}

namespace {

// The certificate files and server name the variables give, where the options have none.
void fill_tls_files(redis_options& o) {
  auto fill = [](std::string& field, const char* name) {
    if (const char* v = env(name); v && field.empty()) field = v;
  };
  fill(o.tls.ca_file, "REDIS_TLS_CA_FILE");
  fill(o.tls.cert_file, "REDIS_TLS_CERT_FILE");
  fill(o.tls.key_file, "REDIS_TLS_KEY_FILE");
  fill(o.tls.server_name, "REDIS_TLS_SERVER_NAME");
  if (!o.sentinel.sentinels.empty()) fill(o.sentinel.tls_server_name, "REDIS_SENTINEL_TLS_SERVER_NAME");
}

}  // namespace

// A URL named on the command line (--redis) says where to connect and whether over TLS:
// the environment only supplies a rediss:// URL's certificate files and server name
// (when from_url() alone was used, REDIS_TLS_CA_FILE was ignored: an operator review).
// Exported REDIS_CLUSTER_NODES, REDIS_SENTINELS, REDIS_TLS or REDIS_TLS_INSECURE of
// another deployment never redirect it or weaken it.
redis_options redis_options::from_env(std::string_view url) {
  if (url.empty()) return from_env();
  auto o = from_url(url);
  if (o.tls.enabled) fill_tls_files(o);
  check(o, "--redis");
  return o;
}

redis_options redis_options::from_env() {
  redis_options o;
  if (const char* v = env("REDIS_URL")) {
    try {
      o = from_url(v);
    } catch (const error& e) {
      // Which setting to fix: the same URL may come from --redis elsewhere.
      throw error(errc::invalid_argument, fmt::format("REDIS_URL: {}", e.what()));
    }
    // Two deployments named at once: neither may quietly win (the sentinels did, and the
    // URL's host and REDIS_PASSWORD went unused without a word).
    if (env("REDIS_SENTINELS") && o.sentinel.sentinels.empty()) {
      throw error(errc::invalid_argument,
                  "REDIS_URL names one Redis server and REDIS_SENTINELS names sentinels: set one of them (for "
                  "sentinels in one variable, REDIS_URL=redis+sentinel://host:port,host:port/<master>)");
    }
    if (env("REDIS_CLUSTER_NODES") && o.cluster.seeds.empty()) {
      throw error(errc::invalid_argument,
                  "REDIS_URL names one Redis server and REDIS_CLUSTER_NODES names a cluster: set one of them (for a "
                  "cluster in one variable, REDIS_URL=redis+cluster://host:port,host:port)");
    }
  } else {
    if (const char* host = env("REDIS_HOST")) o.host = host;
    if (const char* port = env("REDIS_PORT")) o.port = parse_port(port, "REDIS_PORT");
    if (const char* pw = env("REDIS_PASSWORD")) o.password = pw;
  }
  // The URL wins; the variables fill in what it did not say.
  if (const char* v = env("REDIS_TLS")) o.tls.enabled = o.tls.enabled || parse_yes_no(v, "REDIS_TLS");
  fill_tls_files(o);
  auto fill = [](std::string& field, const char* name) {
    if (const char* v = env(name); v && field.empty()) field = v;
  };
  if (const char* v = env("REDIS_TLS_INSECURE"); v && parse_yes_no(v, "REDIS_TLS_INSECURE")) o.tls.verify = false;
  if (const char* v = env("REDIS_SENTINELS"); v && o.sentinel.sentinels.empty()) {
    o.sentinel.sentinels = parse_endpoints(v, "REDIS_SENTINELS", 26379);
    o.host = o.sentinel.sentinels.front().host;
    o.port = 0;
  }
  fill(o.sentinel.master_name, "REDIS_SENTINEL_MASTER");
  fill(o.sentinel.username, "REDIS_SENTINEL_USERNAME");
  fill(o.sentinel.password, "REDIS_SENTINEL_PASSWORD");
  fill(o.sentinel.tls_server_name, "REDIS_SENTINEL_TLS_SERVER_NAME");
  // Sentinel settings without sentinels were ignored without a word: an operator who
  // pointed REDIS_URL at one server (a replica, as it happened) and named the master got
  // an app that never followed a failover.
  if (o.sentinel.sentinels.empty()) {
    for (const char* name : {"REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_USERNAME", "REDIS_SENTINEL_PASSWORD",
                             "REDIS_SENTINEL_TLS_SERVER_NAME"}) {
      if (!env(name)) continue;
      throw error(errc::invalid_argument,
                  fmt::format("{} is set but no sentinels are named: name them (REDIS_SENTINELS, or "
                              "REDIS_URL=redis+sentinel://host:port,host:port/<master>) or unset {}",
                              name, name));
    }
  }
  if (const char* v = env("REDIS_CLUSTER_NODES"); v && o.cluster.seeds.empty()) {
    o.cluster.seeds = parse_endpoints(v, "REDIS_CLUSTER_NODES", 6379);
    o.host = o.cluster.seeds.front().host;
    o.port = o.cluster.seeds.front().port;
  }
  check(o, "the environment (REDIS_*)");
  return o;
}

void redis_options::check_tls_files() const {
  if (!tls.enabled) return;
  try {
    redis::make_tls_context(tls);
  } catch (const std::exception& e) {
    throw error(errc::invalid_argument,
                fmt::format("{} (the files come from REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE, "
                            "or tls_ca, tls_cert and tls_key in the URL, or the CLI's --redis-tls-* flags)",
                            e.what()));
  }
}

void redis_options::refuse_tls_variables_without_tls(const redis_options& resolved) {
  if (resolved.tls.enabled) return;
  // The operator meant TLS: a plain connection would carry the password and the jobs in
  // the clear without a word.
  for (const char* name : {"REDIS_TLS_CA_FILE", "REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE", "REDIS_TLS_SERVER_NAME",
                           "REDIS_SENTINEL_TLS_SERVER_NAME"}) {
    if (env(name)) {
      throw error(errc::invalid_argument,
                  fmt::format("{} is set but the connection to Redis is not TLS: use a rediss:// URL (or "
                              "REDIS_TLS=yes), or unset {}",
                              name, name));
    }
  }
  // As insecure as it gets, and certainly not what was meant: the operator asked for TLS
  // without verification and would get no TLS at all (a configuration review).
  if (const char* v = env("REDIS_TLS_INSECURE"); v && parse_yes_no(v, "REDIS_TLS_INSECURE")) {
    throw error(errc::invalid_argument,
                "REDIS_TLS_INSECURE is set but the connection to Redis is not TLS: use a rediss:// URL (or "
                "REDIS_TLS=yes), or unset REDIS_TLS_INSECURE");
  }
}

std::string redis_options::endpoint() const {
  auto where =
      host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  if (!sentinel.sentinels.empty()) {
    // Port 0: no sentinel has named the master yet.
    if (port == 0) {
      return fmt::format("master '{}' of the sentinels {}", sentinel.master_name, endpoint_list(sentinel.sentinels));
    }
    return fmt::format("{} (master '{}' of the sentinels)", where, sentinel.master_name);
  }
  if (!cluster.seeds.empty()) return fmt::format("{} (of the cluster {})", where, endpoint_list(cluster.seeds));
  return where;
}

}  // namespace drover
