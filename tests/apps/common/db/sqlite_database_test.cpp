// sqlite_database_test.cpp - what the SQLite backend sets up on the file: WAL,
// foreign keys, and errors that say what was being done.
#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support/temp_dir.hpp"

namespace drover::app {
namespace {

std::string pragma(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST(sqlite_database, file_is_in_wal_mode) {
  test::temp_dir dir;
  auto db = open_database(dir / "x.db");
  db->migrate();
  EXPECT_EQ(pragma(dir / "x.db", "PRAGMA journal_mode"), "wal");  // WAL is a property of the file
}

TEST(sqlite_database, messages_must_belong_to_a_conversation) {
  // add_message creates the conversation; a raw insert without one violates the
  // foreign key, which is only enforced because the connection turned it on.
  test::temp_dir dir;
  auto db = open_database(dir / "x.db");
  db->migrate();
  db->add_message("c1", "user", "x", std::nullopt);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "x.db").c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw,
                         "PRAGMA foreign_keys = ON; INSERT INTO messages (conversation_id, role, content, "
                         "created_at) VALUES ('missing', 'user', 'x', 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  sqlite3_close(raw);
}

TEST(sqlite_database, errors_name_the_operation_and_file) {
  test::temp_dir dir;
  auto db = open_database(dir / "x.db");
  try {
    db->add_message("c-9", "user", "x", std::nullopt);  // not migrated: no tables
    ADD_FAILURE() << "no exception";
  } catch (const database_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("adding a message to conversation 'c-9'"), std::string::npos) << what;
    EXPECT_NE(what.find("no such table"), std::string::npos) << what;
    EXPECT_NE(what.find(dir / "x.db"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace drover::app
