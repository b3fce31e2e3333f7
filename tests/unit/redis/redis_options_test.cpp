// redis_options_test.cpp - where Redis is: URLs, the environment, and the endpoint text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <initializer_list>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include <drover/error.hpp>
#include <drover/redis_options.hpp>

namespace drover {
namespace {

struct url_case {
  const char* url;
  const char* host;
  std::uint16_t port;
  const char* username;
  const char* password;
  int db;
};

TEST(redis_options, from_url_parses) {
  const url_case cases[] = {
      {"redis://localhost", "localhost", 6379, "", "", 0},
      {"redis://localhost:6380", "localhost", 6380, "", "", 0},
      {"redis://127.0.0.1:7000/2", "127.0.0.1", 7000, "", "", 2},
      {"redis://redis.example.com:65535", "redis.example.com", 65535, "", "", 0},
      {"redis://user:secret@redis.example.com:6390/5", "redis.example.com", 6390, "user", "secret", 5},
      {"redis://:secret@h", "h", 6379, "", "secret", 0},
      {"redis://default:p%40ss%3Aw@h:1", "h", 1, "default", "p@ss:w", 0},
      {"redis://[::1]:6380", "::1", 6380, "", "", 0},
      {"redis://[::1]", "::1", 6379, "", "", 0},
      {"redis://[2001:db8::7]:7001/3", "2001:db8::7", 7001, "", "", 3},
      {"redis://h/", "h", 6379, "", "", 0},
      {"redis://h/15", "h", 6379, "", "", 15},
      {"redis://h:6379/0", "h", 6379, "", "", 0},
      // An '@' left unescaped in a password: the last '@' ends the user info, as Node's
      // URL (and so ioredis) reads it.
      {"redis://u:s3cret@pw@127.0.0.1:6379/0", "127.0.0.1", 6379, "u", "s3cret@pw", 0},
      {"redis://:a@b@c@h:1", "h", 1, "", "a@b@c", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    redis_options o;
    ASSERT_NO_THROW(o = redis_options::from_url(c.url));
    EXPECT_EQ(o.host, c.host);
    EXPECT_EQ(o.port, c.port);
    EXPECT_EQ(o.username, c.username);
    EXPECT_EQ(o.password, c.password);
    EXPECT_EQ(o.db, c.db);
  }
}

struct bad_url_case {
  const char* url;
  const char* named;  // what the message must contain
};

TEST(redis_options, from_url_rejects) {
  const bad_url_case cases[] = {
      {"http://localhost:6379", "scheme"},
      {"redis+cluster://h1:7000/1", "only database 0"},
      {"redis+cluster://h1:7000,,h2/", "missing host"},
      {"redis+cluster://?tls_ca=/ca.pem", "no hosts"},
      {"redis+cluster://h1:7000?tls_ca=/ca.pem", "needs a TLS URL"},
      {"redis://h?tls_ca=/ca.pem", "needs a TLS URL"},
      {"redis://h?sentinel_password=x", "needs a Sentinel URL"},
      {"redis://h?timeout=3", "unknown parameter 'timeout'"},
      {"rediss://h?tls_verify=maybe", "tls_verify"},
      {"rediss://h?tls_cert=/c.pem", "go together"},
      {"redis+sentinel://s1:26379/", "master's name"},
      {"redis+sentinel://s1:x/m", "port"},
      {"redis+sentinel://s1:26379,/m", "missing host"},
      {"redis+sentinel://s1:26379/m/x", "database"},
      {"localhost:6379", "scheme"},  // parses as scheme "localhost"
      {"localhost", "localhost"},    // no scheme at all
      {"", "URL"},
      {"redis://h:99999", "port"},
      {"redis://h:65536", "port"},
      {"redis://h:0", "port"},
      {"redis://h:abc", "port"},
      {"redis://h:6379db", "port"},
      {"redis://h/x", "database"},
      {"redis://h/1/2", "database"},
      {"redis://h/2x", "database"},
      // No host was this machine's Redis, whatever REDIS_HOST said: a configuration review.
      {"redis://", "missing host"},
      {"redis://:6380", "missing host"},
      {"rediss://", "missing host"},
      {"redis:///0", "missing host"},
  };
  for (const auto& c : cases) {
    try {
      redis_options::from_url(c.url);
      ADD_FAILURE() << c.url << ": accepted";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument)) << c.url << ": " << e.code().message();
      EXPECT_NE(std::string(e.what()).find(c.named), std::string::npos) << c.url << ": " << e.what();
    }
  }
}

// A typo in a URL must not print its password (a security review): every message that
// quotes the URL quotes it redacted, and says what was expected.
TEST(redis_options, from_url_errors_redact_the_password) {
  const bad_url_case cases[] = {
      {"redis://:hunter22@h:6379?timout=3", "'redis://:***@h:6379?timout=3'"},
      {"rediss://user:hunter22@h:6379/0?tls_ca=x&tiemout=1", "'rediss://user:***@h:6379/0?tls_ca=x&tiemout=1'"},
      {"redis+sentinel://:hunter22@s1/m?sentinel_password=hunter22&x=1", "sentinel_password=***"},
      {"redis://:hunter22@h:abc/0", "invalid port in Redis URL 'redis://:***@h:abc/0': a port is a number"},
      {"redis://:hunter22@h:6379/x", "'redis://:***@h:6379/x'"},
      {"redis//:hunter22@h:6379", "no scheme"},
      {"redis://:hunter22@h:99999", "'redis://:***@h:99999'"},
      {"nonsense", "invalid Redis URL 'nonsense': no scheme (expected redis://"},
      {"redis://h:/0", "invalid port in Redis URL 'redis://h:/0': a port is a number"},
      // A password's unencoded '#', '/' or '?' ends the authority early: the "port" is
      // the password's letters, and the message says how to write it (an ACL review).
      {"redis://svc:Secr3tX#Y@127.0.0.1:6379/2", "if the password holds '#', '/' or '?', percent-encode them"},
      {"redis://svc:Secr3tX/Y@127.0.0.1:6379/2", "percent-encode them (%23, %2F, %3F)"},
      {"redis://:p#w@127.0.0.1:6379",
       "missing host in Redis URL 'redis://:***@127.0.0.1:6379' (redis://127.0.0.1:6379 "
       "is this machine's); if the password holds '#', '/' or '?', percent-encode"},
      // An '@' of the password's before a '/', '?' or '#' of it (a TLS review: "Qr7vZ"
      // was printed, only "K9x" masked).
      {"redis://app:hunter22@Lm2/Qr7vZ@10.0.0.5:6379", "'redis://app:***@10.0.0.5:6379'"},
      {"redis://app:hunter22@Lm2?Qr7vZ@10.0.0.5:6379", "'redis://app:***@10.0.0.5:6379'"},
      {"redis+sentinel://app:hunter22@Lm2/Qr7vZ@s1/m", "'redis+sentinel://app:***@s1/m'"},
      // An '@' in a secret query value is no end of the user info (a diff review printed
      // "retTail"), nor is one in another value.
      {"redis+sentinel://u:pw@s1/m?sentinel_password=hunter22@retTail&bogus=1",
       "'redis+sentinel://u:***@s1/m?sentinel_password=***&bogus=1'"},
  };
  for (const auto& c : cases) {
    try {
      redis_options::from_url(c.url);
      ADD_FAILURE() << c.url << ": accepted";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find(c.named), std::string::npos) << c.url << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).find("hunter22"), std::string::npos) << e.what();
    }
  }
}

// Regression (was a bug): a negative database number is accepted (src/redis/redis_options.cpp parses the
// path with from_chars<int>, which takes the sign), and SELECT -1 then fails on every
// connection with "DB index is out of range" instead of at configuration time.
TEST(redis_options, from_url_rejects_negative_db) {
  try {
    auto o = redis_options::from_url("redis://h/-1");
    ADD_FAILURE() << "accepted, db = " << o.db;
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument));
  }
}

// Regression (was a bug): Boost.URL 1.81's parse_uri reads "redis://h:1x5" as port "1" and path "x5"
// (no leading '/'), and from_url (src/redis/redis_options.cpp) drops the path's first
// character without checking that it is '/', so this URL becomes port 1, db 5.
TEST(redis_options, from_url_rejects_text_after_the_port) {
  for (const char* url : {"redis://h:1x5", "redis://h:6379x0"}) {
    try {
      auto o = redis_options::from_url(url);
      ADD_FAILURE() << url << ": accepted as port " << o.port << ", db " << o.db;
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument)) << url;
    }
  }
}

TEST(redis_options, from_url_reads_a_cluster_s_seeds) {
  auto o = redis_options::from_url("rediss+cluster://u:p@10.0.0.1:7000,node2,[::1]:7002?tls_ca=/ca.pem");
  ASSERT_EQ(o.cluster.seeds.size(), 3u);
  EXPECT_EQ(o.cluster.seeds[0], (redis_endpoint{"10.0.0.1", 7000}));
  EXPECT_EQ(o.cluster.seeds[1], (redis_endpoint{"node2", 6379}));
  EXPECT_EQ(o.cluster.seeds[2], (redis_endpoint{"::1", 7002}));
  EXPECT_EQ(o.host, "10.0.0.1");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.password, "p");
  EXPECT_TRUE(o.tls.enabled);
  EXPECT_EQ(o.tls.ca_file, "/ca.pem");
  EXPECT_TRUE(o.sentinel.sentinels.empty());
  EXPECT_NE(o.endpoint().find("cluster 10.0.0.1:7000,node2:6379,[::1]:7002"), std::string::npos) << o.endpoint();
}

TEST(redis_options, endpoint_is_host_and_port_without_password) {
  redis_options o;
  EXPECT_EQ(o.endpoint(), "127.0.0.1:6379");
  o.host = "redis.example.com";
  o.port = 6390;
  o.password = "hunter2";
  o.username = "admin";
  EXPECT_EQ(o.endpoint(), "redis.example.com:6390");
  o.host = "::1";
  o.port = 6380;
  EXPECT_EQ(o.endpoint(), "[::1]:6380");
  EXPECT_EQ(redis_options::from_url("redis://u:pw@[::1]:7000").endpoint(), "[::1]:7000");
}

TEST(redis_options, endpoint_behind_sentinels_names_them_until_the_master_is_known) {
  auto o = redis_options::from_url("redis+sentinel://:pw@10.0.0.5:26379,[::1]:26380/mymaster");
  EXPECT_EQ(o.endpoint(), "master 'mymaster' of the sentinels 10.0.0.5:26379,[::1]:26380");
  o.host = "10.0.0.9";  // as the sentinels answered
  o.port = 6379;
  EXPECT_EQ(o.endpoint(), "10.0.0.9:6379 (master 'mymaster' of the sentinels)");
}

// Sets or unsets the variables for one test and puts the old values back after it.
class scoped_env {
 public:
  explicit scoped_env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const char* name :
         {"REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_TLS", "REDIS_TLS_CA_FILE",
          "REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE", "REDIS_TLS_SERVER_NAME", "REDIS_TLS_INSECURE", "REDIS_SENTINELS",
          "REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_USERNAME", "REDIS_SENTINEL_PASSWORD", "REDIS_CLUSTER_NODES"}) {
      const char* old = std::getenv(name);
      saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
      ::unsetenv(name);
    }
    for (const auto& [name, value] : vars) ::setenv(name, value, 1);
  }
  ~scoped_env() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name, value->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST(redis_options, from_env_defaults) {
  scoped_env env({});
  auto o = redis_options::from_env();
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 6379);
  EXPECT_EQ(o.password, "");
  EXPECT_EQ(o.db, 0);
}

TEST(redis_options, from_env_url_wins) {
  scoped_env env({{"REDIS_URL", "redis://u:pw@envhost:6381/4"}, {"REDIS_HOST", "ignored"}, {"REDIS_PORT", "1"}});
  auto o = redis_options::from_env();
  EXPECT_EQ(o.host, "envhost");
  EXPECT_EQ(o.port, 6381);
  EXPECT_EQ(o.username, "u");
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.db, 4);
}

TEST(redis_options, from_env_host_port_password) {
  scoped_env env({{"REDIS_HOST", "cache.internal"}, {"REDIS_PORT", "6390"}, {"REDIS_PASSWORD", "s3cret"}});
  auto o = redis_options::from_env();
  EXPECT_EQ(o.host, "cache.internal");
  EXPECT_EQ(o.port, 6390);
  EXPECT_EQ(o.password, "s3cret");
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.db, 0);
}

TEST(redis_options, from_env_empty_url_is_unset) {
  scoped_env env({{"REDIS_URL", ""}, {"REDIS_HOST", "h2"}});
  auto o = redis_options::from_env();
  EXPECT_EQ(o.host, "h2");
  EXPECT_EQ(o.port, 6379);
}

TEST(redis_options, from_env_rejects_bad_values) {
  for (const char* port : {"abc", "70000", "63 79", "-1", "0"}) {  // 0: retried forever
    scoped_env env({{"REDIS_PORT", port}});
    try {
      redis_options::from_env();
      ADD_FAILURE() << "REDIS_PORT=" << port << " accepted";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument)) << port;
      EXPECT_NE(std::string(e.what()).find("REDIS_PORT"), std::string::npos) << e.what();
    }
  }
  scoped_env env({{"REDIS_URL", "http://h"}});
  try {
    redis_options::from_env();
    ADD_FAILURE() << "REDIS_URL=http://h accepted";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::invalid_argument));
    // Which setting to fix (a new user's review: REDIS_PORT was named, REDIS_URL not).
    EXPECT_EQ(std::string(e.what()).rfind("REDIS_URL: ", 0), 0u) << e.what();
  }
}

TEST(redis_options, from_url_reads_tls) {
  auto plain = redis_options::from_url("redis://h");
  EXPECT_FALSE(plain.tls.enabled);
  auto o = redis_options::from_url(
      "rediss://u:pw@redis.example.com:6380/2?tls_ca=/etc/ca.pem&tls_cert=/c.pem&tls_key=/k%20ey.pem"
      "&tls_server_name=cache.internal");
  EXPECT_TRUE(o.tls.enabled);
  EXPECT_TRUE(o.tls.verify);
  EXPECT_EQ(o.host, "redis.example.com");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.db, 2);
  EXPECT_EQ(o.tls.ca_file, "/etc/ca.pem");
  EXPECT_EQ(o.tls.cert_file, "/c.pem");
  EXPECT_EQ(o.tls.key_file, "/k ey.pem");
  EXPECT_EQ(o.tls.server_name, "cache.internal");
  EXPECT_FALSE(redis_options::from_url("rediss://h?tls_verify=no").tls.verify);
  EXPECT_EQ(redis_options::from_url("rediss://h").tls.ca_file, "");  // the system's CAs
}

TEST(redis_options, from_url_reads_sentinels) {
  auto o = redis_options::from_url(
      "redis+sentinel://u:pw@s1:26379,s2,[::1]:26380/mymaster/3?sentinel_password=sp&sentinel_username=su");
  ASSERT_EQ(o.sentinel.sentinels.size(), 3u);
  EXPECT_EQ(o.sentinel.sentinels[0], (redis_endpoint{"s1", 26379}));
  EXPECT_EQ(o.sentinel.sentinels[1], (redis_endpoint{"s2", 26379}));
  EXPECT_EQ(o.sentinel.sentinels[2], (redis_endpoint{"::1", 26380}));
  EXPECT_EQ(o.sentinel.master_name, "mymaster");
  EXPECT_EQ(o.sentinel.username, "su");
  EXPECT_EQ(o.sentinel.password, "sp");
  EXPECT_EQ(o.username, "u");  // the master's AUTH
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.db, 3);
  EXPECT_FALSE(o.tls.enabled);
  EXPECT_NE(o.endpoint().find("master 'mymaster'"), std::string::npos) << o.endpoint();
  auto tls = redis_options::from_url("rediss+sentinel://s1/m?tls_ca=/ca.pem");
  EXPECT_TRUE(tls.tls.enabled);
  EXPECT_EQ(tls.tls.ca_file, "/ca.pem");
  EXPECT_EQ(tls.db, 0);
  EXPECT_EQ(tls.sentinel.tls_server_name, "");
  // The sentinels' certificates' name apart from the data nodes' (an operator's review).
  auto named = redis_options::from_url(
      "rediss+sentinel://s1/m?tls_server_name=redis.internal&sentinel_tls_server_name=sentinel.internal");
  EXPECT_EQ(named.tls.server_name, "redis.internal");
  EXPECT_EQ(named.sentinel.tls_server_name, "sentinel.internal");
  EXPECT_THROW(redis_options::from_url("redis+sentinel://s1/m?sentinel_tls_server_name=x"), error);
  EXPECT_THROW(redis_options::from_url("rediss://h?sentinel_tls_server_name=x"), error);
}

TEST(redis_options, from_env_reads_tls_and_sentinel_variables) {
  {
    scoped_env env({{"REDIS_HOST", "h"},
                    {"REDIS_TLS", "yes"},
                    {"REDIS_TLS_CA_FILE", "/ca.pem"},
                    {"REDIS_TLS_CERT_FILE", "/c.pem"},
                    {"REDIS_TLS_KEY_FILE", "/k.pem"},
                    {"REDIS_TLS_SERVER_NAME", "n"},
                    {"REDIS_TLS_INSECURE", "1"}});
    auto o = redis_options::from_env();
    EXPECT_TRUE(o.tls.enabled);
    EXPECT_EQ(o.tls.ca_file, "/ca.pem");
    EXPECT_EQ(o.tls.cert_file, "/c.pem");
    EXPECT_EQ(o.tls.key_file, "/k.pem");
    EXPECT_EQ(o.tls.server_name, "n");
    EXPECT_FALSE(o.tls.verify);
  }
  {
    // The URL wins; the variables fill in what it did not say.
    scoped_env env({{"REDIS_URL", "rediss://h?tls_ca=/url.pem"},
                    {"REDIS_TLS_CA_FILE", "/env.pem"},
                    {"REDIS_TLS_SERVER_NAME", "n"}});
    auto o = redis_options::from_env();
    EXPECT_EQ(o.tls.ca_file, "/url.pem");
    EXPECT_EQ(o.tls.server_name, "n");
  }
  // Certificate files for a plain connection: refused by the apps and the CLI, not
  // ignored (the connection would go out in the clear); from_env() itself, which every
  // options struct starts from, does not refuse them.
  auto expect_refused = [](const char* what) {
    const auto plain = redis_options::from_env();
    EXPECT_NO_THROW(redis_options::refuse_tls_variables_without_tls(redis_options::from_env("rediss://h:6380")));
    try {
      redis_options::refuse_tls_variables_without_tls(plain);
      ADD_FAILURE() << what << " accepted beside redis://";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  {
    scoped_env env({{"REDIS_URL", "redis://h:6380"}, {"REDIS_TLS_CA_FILE", "/ca.pem"}});
    expect_refused("REDIS_TLS_CA_FILE is set but the connection to Redis is not TLS");
  }
  {
    scoped_env env({{"REDIS_URL", "redis://h:6380"}, {"REDIS_TLS_SERVER_NAME", "n"}});
    expect_refused("REDIS_TLS_SERVER_NAME is set");
  }
  {
    scoped_env env({{"REDIS_URL", "redis://h:6380"}, {"REDIS_TLS_INSECURE", "yes"}});
    expect_refused("REDIS_TLS_INSECURE is set but the connection to Redis is not TLS");
  }
  {
    // "no" asks for nothing a plain connection fails to give.
    scoped_env env({{"REDIS_URL", "redis://h:6380"}, {"REDIS_TLS_INSECURE", "no"}});
    EXPECT_NO_THROW(redis_options::refuse_tls_variables_without_tls(redis_options::from_env()));
  }
  {
    scoped_env env(
        {{"REDIS_URL", "redis://h:6380"}, {"REDIS_TLS_CERT_FILE", "/c.pem"}, {"REDIS_TLS_KEY_FILE", "/k.pem"}});
    expect_refused("REDIS_TLS_CERT_FILE is set");
  }
  {
    scoped_env env({{"REDIS_SENTINELS", "s1:1,s2:2"},
                    {"REDIS_SENTINEL_MASTER", "m"},
                    {"REDIS_SENTINEL_PASSWORD", "sp"},
                    {"REDIS_PASSWORD", "pw"}});
    auto o = redis_options::from_env();
    ASSERT_EQ(o.sentinel.sentinels.size(), 2u);
    EXPECT_EQ(o.sentinel.sentinels[1], (redis_endpoint{"s2", 2}));
    EXPECT_EQ(o.sentinel.master_name, "m");
    EXPECT_EQ(o.sentinel.password, "sp");
    EXPECT_EQ(o.password, "pw");
  }
  {
    scoped_env env({{"REDIS_CLUSTER_NODES", "n1:7000,n2"}, {"REDIS_PASSWORD", "pw"}});
    auto o = redis_options::from_env();
    ASSERT_EQ(o.cluster.seeds.size(), 2u);
    EXPECT_EQ(o.cluster.seeds[1], (redis_endpoint{"n2", 6379}));
    EXPECT_EQ(o.host, "n1");
    EXPECT_EQ(o.port, 7000);
    EXPECT_EQ(o.password, "pw");
  }
  // REDIS_URL naming one server beside sentinels or cluster nodes: refused, naming both
  // (the sentinels used to win without a word).
  for (const char* topology : {"REDIS_SENTINELS", "REDIS_CLUSTER_NODES"}) {
    scoped_env env({{"REDIS_URL", "redis://one:6379"}, {topology, "s1:1"}, {"REDIS_SENTINEL_MASTER", "m"}});
    try {
      redis_options::from_env();
      ADD_FAILURE() << topology << " beside REDIS_URL was accepted";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find(topology), std::string::npos) << e.what();
    }
  }
  // Sentinel settings beside one server: refused, naming the variable (they were ignored,
  // and the app never followed a failover).
  for (const char* name : {"REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_USERNAME", "REDIS_SENTINEL_PASSWORD"}) {
    for (const char* url : {"redis://one:6379", ""}) {
      scoped_env env({{"REDIS_URL", url}, {name, "x"}});
      try {
        redis_options::from_env();
        ADD_FAILURE() << name << " without sentinels was accepted (REDIS_URL '" << url << "')";
      } catch (const error& e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no sentinels"), std::string::npos) << e.what();
      }
    }
  }
  for (auto vars : {std::pair<const char*, const char*>{"REDIS_SENTINELS", "s1:1"},
                    std::pair<const char*, const char*>{"REDIS_TLS", "sometimes"},
                    std::pair<const char*, const char*>{"REDIS_TLS_KEY_FILE", "/k.pem"}}) {
    scoped_env env({vars});
    EXPECT_THROW(redis_options::from_env(), error) << vars.first;
  }
}

// A URL given on the command line (--redis) is read as REDIS_URL is: the REDIS_TLS_*
// variables fill in what it leaves out (an operator review: the CLI and the apps ignored
// them), its own parameters win.
TEST(redis_options, from_env_fills_in_a_given_url) {
  scoped_env env({{"REDIS_URL", "rediss://ignored:1"},
                  {"REDIS_TLS_CA_FILE", "/env-ca.pem"},
                  {"REDIS_TLS_CERT_FILE", "/c.pem"},
                  {"REDIS_TLS_KEY_FILE", "/k.pem"},
                  {"REDIS_TLS_SERVER_NAME", "n"}});
  auto o = redis_options::from_env("rediss://h:6390?tls_ca=/url-ca.pem");
  EXPECT_EQ(o.host, "h");
  EXPECT_EQ(o.port, 6390);
  EXPECT_TRUE(o.tls.enabled);
  EXPECT_EQ(o.tls.ca_file, "/url-ca.pem");
  EXPECT_EQ(o.tls.cert_file, "/c.pem");
  EXPECT_EQ(o.tls.key_file, "/k.pem");
  EXPECT_EQ(o.tls.server_name, "n");
  EXPECT_EQ(redis_options::from_env("").host, "ignored");  // empty: REDIS_URL
}

// A shell with a deployment's variables exported must not redirect or weaken a URL named
// with --redis (a review found `--redis redis://staging` going to REDIS_CLUSTER_NODES).
TEST(redis_options, a_given_url_takes_no_topology_or_tls_switch_from_the_environment) {
  scoped_env env({{"REDIS_CLUSTER_NODES", "prod-a:7000,prod-b:7000"},
                  {"REDIS_SENTINELS", "sentinel:26379"},
                  {"REDIS_SENTINEL_MASTER", "prod"},
                  {"REDIS_TLS", "yes"},
                  {"REDIS_TLS_INSECURE", "yes"},
                  {"REDIS_TLS_CA_FILE", "/env-ca.pem"}});
  auto plain = redis_options::from_env("redis://staging:6379");
  EXPECT_EQ(plain.host, "staging");
  EXPECT_EQ(plain.port, 6379);
  EXPECT_TRUE(plain.cluster.seeds.empty());
  EXPECT_TRUE(plain.sentinel.sentinels.empty());
  EXPECT_FALSE(plain.tls.enabled);
  EXPECT_TRUE(plain.tls.ca_file.empty());
  auto tls = redis_options::from_env("rediss://staging:6380");
  EXPECT_TRUE(tls.tls.enabled);
  EXPECT_TRUE(tls.tls.verify) << "REDIS_TLS_INSECURE belongs to REDIS_URL's deployment";
  EXPECT_EQ(tls.tls.ca_file, "/env-ca.pem");
  EXPECT_EQ(tls.host, "staging");
}

TEST(redis_options, scoped_env_restores) {
  scoped_env outer({{"REDIS_HOST", "before"}});
  {
    scoped_env inner({{"REDIS_HOST", "during"}, {"REDIS_PORT", "1"}});
    EXPECT_STREQ(std::getenv("REDIS_HOST"), "during");
  }
  EXPECT_STREQ(std::getenv("REDIS_HOST"), "before");
  EXPECT_EQ(std::getenv("REDIS_PORT"), nullptr);
}

}  // namespace
}  // namespace drover
