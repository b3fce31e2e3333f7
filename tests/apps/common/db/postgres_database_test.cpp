// postgres_database_test.cpp - PostgreSQL outages: a call while the server is down
// fails with database_error, and the first call after it is back works.
#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>

#include <chrono>

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

}  // namespace
}  // namespace drover::app
