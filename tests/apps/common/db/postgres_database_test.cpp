// postgres_database_test.cpp - PostgreSQL outages: a call while the server is down
// fails with database_error, and the first call after it is back works; a statement
// that runs too long, a pool with no free connection, and TCP keepalives (issue 13).
#include <drover_app/db/database.hpp>

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/postgres_server.hpp"

namespace drover::app {
namespace {

TEST(postgres_database, survives_a_server_restart) {
  test::postgres_server server;  // private: this test stops it
  auto db = open_database(server.url() + "?connect_timeout=2");
  db->migrate();
  db->add_message("c1", "user", "before", std::nullopt);

  server.stop();
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(db->add_message("c1", "user", "during", std::nullopt), database_error);
  EXPECT_THROW(db->ping(), database_error);
  EXPECT_THROW(db->list_messages("c1"), database_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  server.start();
  EXPECT_NO_THROW(db->add_message("c1", "user", "after", std::nullopt));
  auto messages = db->list_messages("c1");
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].content, "before");
  EXPECT_EQ(messages[1].content, "after");
}

// The server restarted while the connection sat idle: the dead connection is
// replaced within the same call, which then succeeds.
TEST(postgres_database, replaces_a_connection_that_died_while_idle) {
  test::postgres_server server;
  auto db = open_database(server.url());
  db->migrate();
  server.stop();
  server.start();
  EXPECT_NO_THROW(db->ping());
  EXPECT_NO_THROW(db->add_message("c1", "user", "after", std::nullopt));
  EXPECT_EQ(db->list_messages("c1").size(), 1u);
}

TEST(postgres_database, sql_errors_name_the_operation) {
  test::postgres_server& server = test::postgres_server::shared();
  auto db = open_database(server.create_database());
  db->migrate();
  try {
    db->add_message("c-9", "robot", "x", std::nullopt);
    ADD_FAILURE() << "no exception";
  } catch (const database_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("adding a message to conversation 'c-9'"), std::string::npos) << what;
    EXPECT_NE(what.find("check constraint"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(db->ping());  // a failed statement leaves the connection usable
}

// A connection of the test's own that holds an ACCESS EXCLUSIVE lock on `table` until
// release(): every statement of the database under test that touches the table waits.
class table_lock {
 public:
  table_lock(const std::string& url, const std::string& table) : conn_(::PQconnectdb(url.c_str()), ::PQfinish) {
    if (::PQstatus(conn_.get()) != CONNECTION_OK) throw std::runtime_error(::PQerrorMessage(conn_.get()));
    exec("BEGIN");
    exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
  }
  void release() { exec("COMMIT"); }

 private:
  void exec(const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> r(::PQexec(conn_.get(), sql.c_str()), ::PQclear);
    if (::PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw std::runtime_error(::PQerrorMessage(conn_.get()));
  }
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
};

using clock = std::chrono::steady_clock;

long long ms_since(clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
}

// The statement waits on the lock past statement_timeout (as a pg_sleep would) and is
// cancelled by the server; the connection stays usable.
TEST(postgres_database, a_statement_past_statement_timeout_fails) {
  test::postgres_server& server = test::postgres_server::shared();
  auto url = server.create_database();
  auto db = open_database(url + "?statement_timeout=300");
  db->migrate();
  table_lock lock(url, "messages");
  auto start = clock::now();
  try {
    db->list_messages("c1");
    ADD_FAILURE() << "no exception";
  } catch (const database_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("statement timeout"), std::string::npos) << what;
    EXPECT_NE(what.find("listing the messages of conversation 'c1'"), std::string::npos) << what;
  }
  EXPECT_LT(ms_since(start), 3000);
  lock.release();
  EXPECT_NO_THROW(db->list_messages("c1"));
}

// An operator runs the migrations as the database's owner and the apps as a role that
// may only read and write its tables: their start migrates nothing and needs no CREATE.
TEST(postgres_database, starts_with_a_role_that_may_only_read_and_write_the_tables) {
  test::postgres_server& server = test::postgres_server::shared();
  auto url = server.create_database();
  open_database(url)->migrate();
  const std::string role = "rw_" + std::to_string(::getpid()) + "_" + url.substr(url.rfind('_') + 1);
  test::postgres_server::query(url, "CREATE ROLE " + role + " LOGIN");
  test::postgres_server::query(url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  test::postgres_server::query(url, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
  test::postgres_server::query(url, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role);
  auto as_role = url;
  as_role.replace(as_role.find("postgres@"), std::string("postgres@").size(), role + "@");
  auto db = open_database(as_role);
  EXPECT_TRUE(db->migrate().empty());
  db->ensure_conversation("c1", "alice");
  EXPECT_EQ(db->conversation_owner("c1"), std::optional<std::string>("alice"));
}

TEST(postgres_database, has_a_statement_timeout_by_default) {
  test::postgres_server& server = test::postgres_server::shared();
  auto url = server.create_database();
  auto db = open_database(url);
  db->migrate();
  table_lock lock(url, "messages");
  auto start = clock::now();
  EXPECT_THROW(db->list_messages("c1"), database_error);
  auto took = ms_since(start);
  EXPECT_GE(took, 4500);  // the default, 5 s
  EXPECT_LT(took, 9000);
  lock.release();
}

// Four calls hold the four connections (stuck on a lock); a fifth waits pool_timeout,
// then fails, long before any of the four ends.
TEST(postgres_database, waits_a_bounded_time_for_a_pooled_connection) {
  test::postgres_server& server = test::postgres_server::shared();
  auto url = server.create_database();
  auto db = open_database(url + "?statement_timeout=10000&pool_timeout=300");
  db->migrate();
  table_lock lock(url, "messages");
  std::vector<std::thread> stuck;
  std::atomic<int> finished{0}, failed{0};
  for (int i = 0; i < 4; ++i) {
    stuck.emplace_back([&] {
      try {
        db->list_messages("c1");
      } catch (const database_error&) {
        ++failed;
      }
      ++finished;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // all four are waiting on the lock
  auto start = clock::now();
  try {
    db->ping();
    ADD_FAILURE() << "no exception";
  } catch (const database_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("ping: no database connection free within 300 ms"), std::string::npos) << what;
  }
  auto took = ms_since(start);
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 2000);
  EXPECT_EQ(finished.load(), 0);
  lock.release();
  for (auto& t : stuck) t.join();
  EXPECT_EQ(failed.load(), 0);  // the four were only waiting, and then they ran
  EXPECT_NO_THROW(db->ping());
}

// The database's sockets to the server, found among this process's descriptors.
std::vector<int> sockets_to(std::uint16_t port) {
  std::vector<int> out;
  for (int fd = 0; fd < 4096; ++fd) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    if (peer.sin_family == AF_INET && ntohs(peer.sin_port) == port) out.push_back(fd);
  }
  return out;
}

int socket_option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return -1;
  return value;
}

TEST(postgres_database, turns_tcp_keepalives_on) {
  test::postgres_server server;  // private: only the database's sockets lead to it
  auto db = open_database(server.url());
  db->ping();
  auto fds = sockets_to(server.port());
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(socket_option(fds[0], SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(socket_option(fds[0], IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(socket_option(fds[0], IPPROTO_TCP, TCP_KEEPINTVL), 10);
  EXPECT_EQ(socket_option(fds[0], IPPROTO_TCP, TCP_KEEPCNT), 3);
}

TEST(postgres_database, keeps_keepalive_settings_given_in_the_url) {
  test::postgres_server server;
  auto db = open_database(server.url() + "?keepalives_idle=45");
  db->ping();
  auto fds = sockets_to(server.port());
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(socket_option(fds[0], IPPROTO_TCP, TCP_KEEPIDLE), 45);
  EXPECT_EQ(socket_option(fds[0], IPPROTO_TCP, TCP_KEEPCNT), 3);
}

}  // namespace
}  // namespace drover::app
