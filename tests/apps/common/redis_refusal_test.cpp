// redis_refusal_test.cpp - Redis's outright refusals are told apart, in words that name
// no host; every other error is none of them.
#include <gtest/gtest.h>

#include <drover_app/redis_refusal.hpp>

namespace drover::app {
namespace {

TEST(redis_refusal, names_each_refusal_without_the_host) {
  const drover::error full(errc::redis_unavailable,
                           "redis at 10.0.0.7:6379: addJob: OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(redis_refusal(full), "Redis is out of memory (maxmemory)");
  const drover::error misconf(errc::script_error,
                              "redis at 10.0.0.7:6379: MISCONF Redis is configured to save RDB snapshots, but it's "
                              "currently unable to persist to disk");
  EXPECT_EQ(redis_refusal(misconf), "Redis cannot write to its disk (MISCONF)");
  const drover::error noperm(errc::redis_error,
                             "redis at 10.0.0.7:6379: NOPERM User drover has no permissions to run the 'evalsha' "
                             "command");
  EXPECT_EQ(redis_refusal(noperm),
            "Redis's ACL does not allow drover's user a command (NOPERM): grant the commands docs/deployment.md lists");
  const drover::error replica(errc::script_error,
                              "redis at 10.0.0.8:6379: READONLY You can't write against a read "
                              "only replica.");
  EXPECT_EQ(redis_refusal(replica), "Redis answered from a read-only replica (READONLY)");
  for (const drover::error* e : {&full, &misconf, &noperm, &replica}) {
    EXPECT_EQ(redis_refusal(*e)->find("10.0.0"), std::string_view::npos);
  }
}

// A key or channel refusal names the grant it wants, at the call and inside a script.
TEST(redis_refusal, says_which_grant_an_acl_refusal_wants) {
  for (const char* text :
       {"redis at h:1: script moveToActive failed: NOPERM this user has no permissions to access one of the keys used "
        "as arguments",
        "redis at h:1: ERR Error running script: NOPERM The user executing the script can't access at least one of the "
        "keys mentioned in the command"}) {
    auto refused = redis_refusal(drover::error(errc::script_error, text));
    ASSERT_TRUE(refused) << text;
    EXPECT_NE(refused->find("the queue's keys (NOPERM): grant ~bull:*"), std::string_view::npos) << *refused;
  }
  auto channel = redis_refusal(
      drover::error(errc::redis_error,
                    "redis at h:1: NOPERM this user has no permissions to access one of the channels used as "
                    "arguments"));
  ASSERT_TRUE(channel);
  EXPECT_NE(channel->find("the channels (NOPERM): grant &*"), std::string_view::npos) << *channel;
  auto command = redis_refusal(drover::error(
      errc::script_error, "redis at h:1: ERR The user executing the script can't run this command or subcommand"));
  ASSERT_TRUE(command);
  EXPECT_NE(command->find("a command (NOPERM)"), std::string_view::npos) << *command;
}

TEST(redis_refusal, is_none_for_an_error_that_may_have_written) {
  EXPECT_EQ(redis_refusal(drover::error(errc::redis_timeout, "redis at 10.0.0.7:6379: timeout")), std::nullopt);
  EXPECT_EQ(redis_refusal(drover::error(errc::redis_unavailable, "redis at 10.0.0.7:6379: connection reset")),
            std::nullopt);
  EXPECT_EQ(redis_refusal(drover::error(errc::not_replicated, "1 of 2 replicas")), std::nullopt);
  EXPECT_EQ(redis_refusal(drover::error(errc::redis_unavailable, "redis at 10.0.0.7:6379: read failed: end of file")),
            std::nullopt);
}

// Never written: the connection could not be made, or refused the call while it waited to
// reconnect (redis::connection's words).
TEST(redis_refusal, a_call_never_written_for_want_of_a_connection_is_one) {
  for (const char* text : {"redis at 10.0.0.7:6379: cannot connect: Connection refused",
                           "redis at 10.0.0.7:6379: unavailable (cannot connect: TLS certificate verify failed)",
                           "redis at 10.0.0.7:6379: handshake refused: ERR unknown command 'HELLO'"}) {
    auto refused = redis_refusal(drover::error(errc::redis_unavailable, text));
    ASSERT_TRUE(refused) << text;
    EXPECT_EQ(*refused, "Redis cannot be reached");
  }
}

// A refused login ran nothing after it: a replica promoted without drover's ACL user
// answers WRONGPASS (a failover review's sends were told "may still run").
TEST(redis_refusal, a_refused_login_ran_nothing) {
  for (const char* text :
       {"redis at 10.0.0.7:6379: handshake refused: WRONGPASS invalid username-password pair",
        "redis at 10.0.0.7:6379: Redis refused the username or password (WRONGPASS invalid username-password pair or "
        "user is disabled.): check the password in the URL",
        "redis at 10.0.0.7:6379: NOAUTH Authentication required."}) {
    auto refused = redis_refusal(drover::error(errc::redis_unavailable, text));
    ASSERT_TRUE(refused) << text;
    EXPECT_EQ(*refused, "Redis refused drover's login (WRONGPASS or NOAUTH)");
  }
}

// TLS 1.3 ends the client's handshake before the server has checked its certificate: the
// calls pipelined behind it meet the server's alert, and Redis never read them.
TEST(redis_refusal, a_tls_session_the_server_refused_ran_nothing) {
  for (const char* text : {"redis at 10.0.0.7:6380: read failed: TLS: tlsv13 alert certificate required (SSL routines)",
                           "redis at 10.0.0.7:6380: read failed: TLS: tlsv1 alert unknown ca (SSL routines)",
                           "redis at 10.0.0.7:6380: read failed: TLS: sslv3 alert bad certificate (SSL routines)"}) {
    auto refused = redis_refusal(drover::error(errc::redis_unavailable, text));
    ASSERT_TRUE(refused) << text;
    EXPECT_EQ(*refused, "Redis refused the TLS session (check the client certificate)");
  }
}

// A connection turned away at maxclients, and a call the cluster kept redirecting (a slot
// migration held open: 35 sends told "may still run" of which none was stored).
TEST(redis_refusal, a_connection_turned_away_and_a_call_no_node_ran_are_not_written) {
  auto turned_away = redis_refusal(drover::error(
      errc::redis_unavailable,
      "redis at 10.0.0.7:6379: the server answered and closed the connection: ERR max number of clients reached"));
  ASSERT_TRUE(turned_away);
  EXPECT_EQ(*turned_away, "Redis refused the connection (maxclients)");
  auto moving = redis_refusal(drover::error(
      errc::redis_unavailable,
      "redis at 10.0.0.7:7001: the cluster still redirected the call after 6 tries ('ASK 2070 10.0.0.8:7002'): a "
      "slot migration or a failover is under way"));
  ASSERT_TRUE(moving);
  EXPECT_EQ(*moving, "a Redis Cluster slot is moving (a migration or a failover)");
}

}  // namespace
}  // namespace drover::app
