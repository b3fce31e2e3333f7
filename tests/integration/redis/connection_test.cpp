// connection_test.cpp - the pipelined connection against a real redis-server: replies in
// order, errors as values, outages as errors, reconnection, timeouts, script reloads.
#include "redis/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include <chrono>
#include <optional>

#include "core/keys.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace drover::redis {
namespace {

using test::redis_server;
using test::run_async;

TEST(connection, pipelines_concurrent_commands_and_keeps_their_order) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), server.options());
    // Many coroutines in flight at once on one connection: each must get its own reply.
    int done = 0;
    for (int i = 0; i < 200; ++i) {
      net::co_spawn(
          io,
          [conn, i, &done]() -> net::awaitable<void> {
            command set{"SET"};
            set.push("conn-test:" + std::to_string(i)).push(static_cast<std::int64_t>(i));
            co_await conn->exec(std::move(set));
            command get{"GET"};
            get.push("conn-test:" + std::to_string(i));
            auto r = co_await conn->exec(std::move(get));
            EXPECT_EQ(r.as_string(), std::to_string(i));
            ++done;
          },
          net::detached);
    }
    while (done < 200) co_await test::sleep_ms(5);
    std::vector<command> batch;
    batch.push_back(command{"INCR", "conn-test:counter"});
    batch.push_back(command{"INCR", "conn-test:counter"});
    batch.push_back(command{"GET", "conn-test:counter"});
    auto replies = co_await conn->exec(std::move(batch));
    DROVER_CO_ASSERT_TRUE(replies.size() == 3u);
    EXPECT_EQ(replies[2].as_int().value() - replies[0].as_int().value(), 1);
    conn->close();
  });
}

TEST(connection, returns_error_replies_as_values) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), server.options());
    command bad{"NOSUCHCOMMAND"};
    auto r = co_await conn->exec(std::move(bad));
    EXPECT_TRUE(r.is_error());
    EXPECT_NE(r.str.find("unknown command"), std::string::npos);
    // The connection is still usable afterwards.
    command ping{"PING"};
    EXPECT_EQ((co_await conn->exec(std::move(ping))).as_string(), "PONG");
    conn->close();
  });
}

// Closing ends every wait of the connection's, its reply watchdog's too, so that the
// event loop runs out of work at once: it ran on for up to the watchdog's 100 ms tick.
TEST(connection, close_leaves_the_event_loop_nothing_to_wait_for) {
  using clock = std::chrono::steady_clock;
  auto& server = redis_server::shared();
  net::io_context io;
  std::optional<clock::time_point> closed_at;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto conn = connection::create(io.get_executor(), server.options());
        command ping{"PING"};
        co_await conn->exec(std::move(ping));  // connected: the watchdog ticks
        conn->close();
        closed_at = clock::now();
      },
      net::detached);
  const auto deadline = clock::now() + 5s;
  while (!closed_at && clock::now() < deadline) io.run_one_for(100ms);
  ASSERT_TRUE(closed_at.has_value());
  // What close() cancelled completes at once: polling (never waiting) runs it out. A timer
  // still pending (the watchdog's next tick) would keep the context from stopping; a
  // bound on the wall time (60 ms) failed on a loaded machine instead.
  for (int i = 0; i < 1000 && !io.stopped(); ++i) io.poll();
  EXPECT_TRUE(io.stopped()) << "something still waits after close()";
}

TEST(connection, fails_fast_with_a_clear_error_when_redis_is_away) {
  redis_server server;
  server.stop();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), server.options());
    auto started = std::chrono::steady_clock::now();
    try {
      command ping{"PING"};
      co_await conn->exec(std::move(ping));
      ADD_FAILURE() << "PING succeeded with no server";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::to_string(server.port())), std::string::npos) << e.what();
    }
    // Within the back-off, calls fail at once rather than wait.
    try {
      command ping{"PING"};
      co_await conn->exec(std::move(ping));
      ADD_FAILURE() << "PING succeeded with no server";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    conn->close();
  });
}

TEST(connection, reconnects_after_redis_restarts) {
  redis_server server;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto conn = connection::create(io.get_executor(), server.options());
    command ping{"PING"};
    EXPECT_EQ((co_await conn->exec(ping)).as_string(), "PONG");
    server.kill();
    bool failed = false;
    try {
      co_await conn->exec(ping);
    } catch (const error& e) {
      failed = e.is(errc::redis_unavailable);
    }
    EXPECT_TRUE(failed);
    server.start();
    // The back-off is short; the first call after it reconnects.
    std::string answer;
    for (int i = 0; i < 100 && answer != "PONG"; ++i) {
      try {
        answer = (co_await conn->exec(ping)).as_string();
      } catch (const error&) {
      }
      if (answer != "PONG") co_await test::sleep_ms(50);
    }
    EXPECT_EQ(answer, "PONG");
    conn->close();
  });
}

TEST(connection, times_out_a_command_that_gets_no_reply) {
  redis_server server;
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = server.options();
    opts.command_timeout = 300ms;
    auto conn = connection::create(io.get_executor(), opts);
    command ping{"PING"};
    co_await conn->exec(ping);
    server.freeze();
    auto started = std::chrono::steady_clock::now();
    try {
      co_await conn->exec(ping);
      ADD_FAILURE() << "PING to a frozen server did not time out";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_timeout)) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
    server.thaw();
    // After the timeout the connection is rebuilt and works again.
    std::string answer;
    for (int i = 0; i < 50 && answer != "PONG"; ++i) {
      try {
        answer = (co_await conn->exec(ping)).as_string();
      } catch (const error&) {
      }
      if (answer != "PONG") co_await test::sleep_ms(50);
    }
    EXPECT_EQ(answer, "PONG");
    conn->close();
  });
}

TEST(connection, knows_its_client_id_so_another_connection_can_end_a_blocking_wait) {
  auto& server = redis_server::shared();
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto blocked = connection::create(io.get_executor(), server.options());
    auto other = connection::create(io.get_executor(), server.options());
    command ping{"PING"};
    co_await blocked->exec(ping);
    command id{"CLIENT", "ID"};
    auto asked = co_await blocked->exec(std::move(id));
    EXPECT_GT(blocked->client_id(), 0);
    EXPECT_EQ(asked.as_int().value_or(-1), blocked->client_id());

    // A 30 s wait that only CLIENT UNBLOCK can end within this test.
    bool ended = false;
    reply answer;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          command wait{"BZPOPMIN", "conn-test:never-filled", "30"};
          answer = co_await blocked->exec(std::move(wait), 31s);
          ended = true;
        },
        net::detached);
    command unblock{"CLIENT", "UNBLOCK"};
    unblock.push(blocked->client_id()).push("TIMEOUT");
    std::int64_t unblocked = 0;
    for (int i = 0; i < 100 && unblocked == 0; ++i) {
      co_await test::sleep_ms(20);  // until the wait has reached the server
      unblocked = (co_await other->exec(unblock)).as_int().value_or(0);
    }
    EXPECT_EQ(unblocked, 1);
    for (int i = 0; i < 100 && !ended; ++i) co_await test::sleep_ms(20);
    EXPECT_TRUE(ended);
    EXPECT_TRUE(answer.is_nil());
    blocked->close();
    other->close();
  });
}

// Redis turns a client away at maxclients with an error and closes: the error says why
// (it said "connection closed by server", and operators looked at the network).
TEST(connection, a_server_at_maxclients_is_named_as_the_reason) {
  redis_server server(false, {"--maxclients", "1"});
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto holder = connection::create(io.get_executor(), server.options());
    command ping{"PING"};
    EXPECT_EQ((co_await holder->exec(ping)).as_string(), "PONG");
    auto refused = connection::create(io.get_executor(), server.options());
    try {
      co_await refused->exec(ping);
      ADD_FAILURE() << "a second client was served at maxclients 1";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
      EXPECT_NE(std::string(e.what()).find("max number of clients reached"), std::string::npos) << e.what();
    }
    refused->close();
    holder->close();
  });
}

TEST(connection, works_without_a_client_id_where_an_acl_refuses_client_id) {
  redis_server server;
  // Quoted: cli() goes through a shell.
  server.cli("ACL SETUSER no-client-id on '>pw' '~*' '&*' '+@all' '-client|id'");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = server.options();
    opts.username = "no-client-id";
    opts.password = "pw";
    auto conn = connection::create(io.get_executor(), opts, "drover-test-client");
    command ping{"PING"};
    EXPECT_EQ((co_await conn->exec(ping)).as_string(), "PONG");
    EXPECT_EQ(conn->client_id(), 0);
    EXPECT_TRUE(conn->is_connected());
    conn->close();
  });
}

// An operator's review: with ACL users and the default one off, a password given without
// its user name was told "Redis needs a password" (the NOAUTH that followed AUTH's reply).
TEST(connection, a_password_without_its_user_name_is_said_so) {
  redis_server server;
  server.cli("ACL SETUSER app on '>pw' '~*' '&*' '+@all'");
  server.cli("ACL SETUSER default off");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = server.options();
    opts.password = "pw";
    opts.connect_timeout = std::chrono::milliseconds(500);
    auto conn = connection::create(io.get_executor(), opts, "drover-test-client");
    try {
      command ping{"PING"};
      co_await conn->exec(ping);
      ADD_FAILURE() << "PING answered";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find("given without a user name"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("needs a password"), std::string::npos) << e.what();
    }
    conn->close();
  });
}

TEST(connection, authenticates_and_selects_the_database) {
  redis_server server;
  server.cli("CONFIG SET requirepass s3cret");
  run_async([&](net::io_context& io) -> net::awaitable<void> {
    auto opts = server.options();
    opts.password = "s3cret";
    opts.db = 3;
    auto conn = connection::create(io.get_executor(), opts, "drover-test-client");
    command set{"SET", "in-db-3", "yes"};
    co_await conn->exec(std::move(set));
    command name{"CLIENT", "GETNAME"};
    EXPECT_EQ((co_await conn->exec(std::move(name))).as_string(), "drover-test-client");
    conn->close();

    auto wrong = server.options();
    wrong.password = "nope";
    auto bad = connection::create(io.get_executor(), wrong);
    try {
      command ping{"PING"};
      auto r = co_await bad->exec(std::move(ping));
      EXPECT_TRUE(r.is_error()) << "PING with a wrong password answered " << r.as_string();
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::redis_unavailable)) << e.what();
    }
    bad->close();
  });
  EXPECT_EQ(server.cli("-a s3cret --no-auth-warning -n 3 GET in-db-3"), "yes");
}

}  // namespace
}  // namespace drover::redis
