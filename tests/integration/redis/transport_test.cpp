// transport_test.cpp - Redis over TLS against a redis-server with a TLS port and
// certificates made by the test: queues work, and every refusal says why.
#include "redis/transport.hpp"

#include <gtest/gtest.h>

#include "drover/error.hpp"
#include "redis/connection.hpp"
#include "support/async.hpp"
#include "support/job_flow.hpp"
#include "support/redis_server.hpp"
#include "support/tls_redis_server.hpp"

namespace net = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace drover::redis {
namespace {

using test::run_async;
using test::tls_redis_server;

// "" when PING is answered over `opts`, else the error's message.
std::string ping_error(const redis_options& opts) {
  std::string message;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), opts);
    try {
      command ping{"PING"};
      auto r = co_await conn->exec(std::move(ping));
      if (r.as_string() != "PONG") message = "unexpected reply: " + r.as_string();
    } catch (const error& e) {
      message = e.what();
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
    }
    conn->close();
  });
  return message;
}

TEST(transport, tls_queue_adds_and_processes) {
  tls_redis_server server;
  std::string name;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    test::job_flow flow(io.get_executor(), server.options());
    name = flow.name;
    json::value data = {{"n", 1}};
    auto added = co_await flow.q.add("over-tls", std::move(data));
    EXPECT_TRUE(co_await flow.done_reaches(1));
    EXPECT_TRUE(co_await test::eventually(
        [&]() -> net::awaitable<bool> { co_return co_await flow.q.get_job_state(added.id) == job_state::completed; }));
    co_await flow.close();
  });
  // The plain port of the same server sees the job: it is the same Redis.
  EXPECT_EQ(server.plain().cli("ZCARD bull:" + name + ":completed"), "1");
}

TEST(transport, verifies_by_name_as_well_as_by_address) {
  tls_redis_server server;
  auto by_name = server.options();
  by_name.host = "localhost";  // the certificate names localhost and 127.0.0.1
  EXPECT_EQ(ping_error(by_name), "");
  EXPECT_EQ(ping_error(server.options()), "");
}

TEST(transport, refuses_a_certificate_of_another_ca) {
  tls_redis_server server;
  auto opts = server.options();
  opts.tls.ca_file = server.certs().other_ca_cert;
  auto why = ping_error(opts);
  EXPECT_NE(why.find("certificate verify failed"), std::string::npos) << why;
  EXPECT_NE(why.find(server.certs().other_ca_cert), std::string::npos) << why;
}

TEST(transport, refuses_a_host_name_mismatch) {
  tls_redis_server server;
  auto opts = server.options();
  opts.tls.server_name = "redis.example.com";
  auto why = ping_error(opts);
  EXPECT_NE(why.find("hostname mismatch"), std::string::npos) << why;
  EXPECT_NE(why.find("redis.example.com"), std::string::npos) << why;
}

TEST(transport, insecure_mode_accepts_any_certificate) {
  tls_redis_server server;
  auto opts = server.options();
  opts.tls.ca_file = server.certs().other_ca_cert;
  opts.tls.server_name = "redis.example.com";
  opts.tls.verify = false;
  EXPECT_EQ(ping_error(opts), "");
}

TEST(transport, mutual_tls_needs_the_client_certificate) {
  tls_redis_server server(true);
  auto why = ping_error(server.options());
  // The server's alert, or the reset that may overtake it (one CI run in many): either way
  // the message names the setting.
  const bool alert = why.find("TLS: tlsv13 alert certificate required") != std::string::npos;
  const bool ended = why.find("the TLS session ended before any reply") != std::string::npos;
  EXPECT_TRUE(alert || ended) << why;
  EXPECT_NE(why.find("give REDIS_TLS_CERT_FILE"), std::string::npos) << why;
  auto opts = server.options();
  opts.tls.cert_file = server.certs().client_cert;
  opts.tls.key_file = server.certs().client_key;
  EXPECT_EQ(ping_error(opts), "");
}

TEST(transport, a_session_ended_before_any_reply_may_be_a_missing_client_certificate) {
  const auto reset = make_error_code(net::error::connection_reset);
  EXPECT_NE(missing_client_certificate_hint(reset, true, false).find("REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE"),
            std::string::npos);
  const auto truncated = make_error_code(boost::asio::ssl::error::stream_truncated);
  EXPECT_NE(missing_client_certificate_hint(truncated, true, false), "");
  EXPECT_EQ(missing_client_certificate_hint(reset, true, true), "") << "the server had answered";
  EXPECT_EQ(missing_client_certificate_hint(reset, false, false), "") << "no TLS";
  const auto refused = make_error_code(net::error::connection_refused);
  EXPECT_EQ(missing_client_certificate_hint(refused, true, false), "");
}

// A CA bundle rotated in place is read again by the next connect of a connection that was
// made before (it kept its first context: the apps could not reconnect until restarted).
TEST(transport, a_reconnect_reads_tls_files_that_changed) {
  tls_redis_server server;
  const auto dir = test::make_temp_dir("tls-rotation");
  const auto bundle = dir + "/bundle.pem";
  test::run_shell("cp " + server.certs().other_ca_cert + " " + bundle);
  auto opts = server.options();
  opts.tls.ca_file = bundle;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), opts);
    std::string first;
    try {
      command ping{"PING"};
      co_await conn->exec(std::move(ping));
    } catch (const error& e) {
      first = e.what();
    }
    EXPECT_NE(first.find("certificate verify failed"), std::string::npos) << first;
    // The new CA joins the bundle, as a rotation does.
    test::run_shell("cat " + server.certs().ca_cert + " >> " + bundle);
    bool answered = false;
    for (int i = 0; i < 50 && !answered; ++i) {
      try {
        command ping{"PING"};
        auto r = co_await conn->exec(std::move(ping));
        answered = r.as_string() == "PONG";
      } catch (const error&) {
        answered = false;  // no co_await in a handler: the wait follows
      }
      if (!answered) co_await test::sleep_ms(100);
    }
    EXPECT_TRUE(answered) << "the connection never read the bundle again";
    conn->close();
  });
  test::run_shell("rm -rf " + dir);
}

// OpenSSL asked for a passphrase on the terminal (or failed with "UI routines").
TEST(transport, an_encrypted_client_key_is_refused_saying_so) {
  tls_redis_server server(true);
  const auto dir = test::make_temp_dir("tls-encrypted-key");
  const auto key = dir + "/enc.key";
  test::run_shell("openssl pkey -in " + server.certs().client_key + " -aes256 -passout pass:secret -out " + key);
  auto opts = server.options();
  opts.tls.cert_file = server.certs().client_cert;
  opts.tls.key_file = key;
  auto why = ping_error(opts);
  EXPECT_NE(why.find("is encrypted with a passphrase"), std::string::npos) << why;
  test::run_shell("rm -rf " + dir);
}

TEST(transport, names_a_ca_file_it_cannot_read) {
  tls_redis_server server;
  auto opts = server.options();
  opts.tls.ca_file = "/nonexistent/ca.pem";
  auto why = ping_error(opts);
  EXPECT_NE(why.find("cannot use CA file '/nonexistent/ca.pem'"), std::string::npos) << why;
}

TEST(transport, a_plain_client_on_the_tls_port_fails_without_hanging) {
  tls_redis_server server;
  auto opts = server.options();
  opts.tls.enabled = false;
  opts.command_timeout = 2s;
  auto why = ping_error(opts);
  EXPECT_NE(why.find("if the server takes TLS only, use rediss://"), std::string::npos) << why;
}

TEST(transport, a_tls_client_on_a_plain_port_says_the_handshake_had_no_answer) {
  test::redis_server plain;
  auto opts = plain.options();
  opts.tls.enabled = true;
  opts.connect_timeout = 500ms;
  opts.command_timeout = 2s;
  auto why = ping_error(opts);
  EXPECT_NE(why.find("in the TLS handshake (is the server speaking TLS on this port?"), std::string::npos) << why;
}

}  // namespace
}  // namespace drover::redis
