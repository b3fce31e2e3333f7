// redis_options.hpp - where Redis is and how drover talks to it: one server, the
// master a set of Sentinels names, or a Redis Cluster; over plain TCP or TLS.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

// TLS to Redis (rediss://). Verification is on by default: the server's certificate
// must chain to the CA and name the host (or server_name).
struct redis_tls_options {
  bool enabled = false;
  std::string ca_file{};      // PEM CA bundle; empty: the system's trusted CAs
  std::string cert_file{};    // PEM client certificate (chain), for mutual TLS; empty: none
  std::string key_file{};     // PEM private key of cert_file; empty: none
  std::string server_name{};  // SNI and the name the certificate must carry; empty: the host
  // false accepts any certificate from anyone: for development only, never in
  // production (drover logs a warning for every connection made so).
  bool verify = true;
};

// A host and port, as a list of Sentinels gives them.
struct redis_endpoint {
  std::string host{};
  std::uint16_t port = 26379;
  bool operator==(const redis_endpoint&) const = default;
};

// Redis Sentinel: drover asks the sentinels where the master `master_name` is,
// connects there, checks that ROLE says master, and asks again after every
// connection loss, READONLY, LOADING or UNBLOCKED reply (a failover).
struct redis_sentinel_options {
  std::vector<redis_endpoint> sentinels{};  // empty: no Sentinel, host and port are Redis itself
  std::string master_name{};
  std::string username{};  // the sentinels' own AUTH (not the master's); empty: none
  std::string password{};
  // The name the sentinels' certificates must carry (over TLS); empty: each sentinel's
  // host as written. tls.server_name is the master's and replicas': ioredis keeps the
  // two apart too (sentinelTLS), and a name only the data nodes hold failed every
  // sentinel (an operator's review).
  std::string tls_server_name{};
};

// Redis Cluster: drover reads the slot map from any node it can reach (the seeds, then
// the nodes the map names), talks to the master that owns a queue's slot, and reads
// the map again after MOVED, a lost connection or a failover. One seed is enough.
// A queue's keys must share one slot: a hash tag in its name ("{ai-processing}") or
// in the prefix ("{bull}"), as BullMQ requires; drover refuses to open one that does
// not, saying so.
struct redis_cluster_options {
  std::vector<redis_endpoint> seeds{};  // empty: not a cluster
};

struct redis_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username{};  // empty: AUTH with the password alone
  std::string password{};  // empty: no AUTH
  int db = 0;
  redis_tls_options tls{};            // to Redis and to the sentinels (but server_name: see sentinel)
  redis_sentinel_options sentinel{};  // when set, host and port are the last master found
  redis_cluster_options cluster{};    // when set, host and port are the first seed

  // A connection attempt that takes longer fails with errc::redis_unavailable; the
  // handshake that follows (AUTH, SELECT, ...) gets as long, so that a server that takes
  // connections but never answers is found away within it.
  std::chrono::milliseconds connect_timeout{3000};
  // A command without a reply for this long fails with errc::redis_timeout and
  // the connection is dropped (replies are ordered, so the rest are lost too).
  std::chrono::milliseconds command_timeout{10000};
  // Reconnects back off exponentially from min to max while Redis stays away;
  // calls made meanwhile fail at once instead of waiting.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};

  // Parses
  //   redis://[user:password@]host[:port][/db][?params]
  //   rediss://...                       the same over TLS
  //   redis+sentinel://[user:password@]host:port[,host:port...]/master[/db][?params]
  //   rediss+sentinel://...              the same, sentinels and master over TLS
  //   redis+cluster://[user:password@]host:port[,host:port...][?params]
  //   rediss+cluster://...               the same, every node over TLS
  // with params tls_ca, tls_cert, tls_key, tls_server_name, tls_verify (yes|no),
  // sentinel_username and sentinel_password (docs/configuration.md). Throws
  // drover::error (invalid_argument) naming what is wrong.
  static redis_options from_url(std::string_view url);

  // REDIS_URL if set, else REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, else defaults; then
  // REDIS_TLS, REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE,
  // REDIS_TLS_SERVER_NAME, REDIS_TLS_INSECURE, REDIS_SENTINELS, REDIS_SENTINEL_MASTER,
  // REDIS_SENTINEL_USERNAME, REDIS_SENTINEL_PASSWORD and REDIS_CLUSTER_NODES for what
  // the URL left unsaid. Throws drover::error (invalid_argument) naming the variable that
  // is malformed. The options structs
  // (queue_options, worker_options, queue_events_options, flow_producer_options) start
  // from it, so default-constructing one throws the same: a program that sets its own
  // Redis should not export broken REDIS_* variables either.
  static redis_options from_env();

  // A URL named on the command line (--redis), which wins over REDIS_URL; an empty `url`
  // is from_env(). It says where to connect and whether over TLS: the environment only
  // fills in a rediss:// URL's REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE, REDIS_TLS_KEY_FILE
  // and REDIS_TLS_SERVER_NAME, never the topology (REDIS_SENTINELS, REDIS_CLUSTER_NODES)
  // nor REDIS_TLS or REDIS_TLS_INSECURE, which belong to REDIS_URL's deployment. Throws
  // as from_url.
  static redis_options from_env(std::string_view url);

  // For a program whose Redis settings came from the environment alone: throws
  // drover::error (invalid_argument) when REDIS_TLS_CA_FILE, _CERT_FILE, _KEY_FILE or
  // REDIS_TLS_SERVER_NAME is set but `resolved` is not TLS (the apps and the CLI call it;
  // from_env() does not, as every options struct starts from it).
  static void refuse_tls_variables_without_tls(const redis_options& resolved);

  // With TLS on: reads the CA, client certificate and key files now, as a connection
  // would, and throws drover::error (invalid_argument) naming the file and the settings
  // that give it when one cannot be used (missing, unreadable, not PEM, a key that does
  // not match). The files are otherwise read at each connection, so that a mistyped path
  // only showed as Redis never answering. Does nothing without TLS.
  void check_tls_files() const;

  // host:port, for messages (never the password); with Sentinel, also the master's name;
  // with a cluster, the seeds.
  std::string endpoint() const;
};

}  // namespace drover
