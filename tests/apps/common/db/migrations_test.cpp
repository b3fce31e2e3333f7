// migrations_test.cpp - the migration list is well formed (migrations.cpp), and a schema
// newer than this build is said in the log when the database is migrated.
#include "db/migrations.hpp"

#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "support/captured_log.hpp"
#include "support/temp_dir.hpp"

namespace drover::app::detail {
namespace {

TEST(migrations, versions_ascend_from_one_and_both_backends_have_sql) {
  int expected = 1;
  for (const auto& m : migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(std::string(m.description).empty());
    EXPECT_FALSE(std::string(m.sqlite_sql).empty()) << m.version;
    EXPECT_FALSE(std::string(m.postgres_sql).empty()) << m.version;
  }
  EXPECT_GE(expected, 2);
}

TEST(migrations, a_schema_newer_than_this_build_is_said_in_the_log) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  test::temp_dir dir;
  const auto path = dir / "drover.db";
  open_database(path)->migrate();
  EXPECT_EQ(log.str().find("newer than this drover"), std::string::npos) << log.str();
  // A newer drover's migration, as the sqlite3 shell (a dependency of the tests) writes it.
  ASSERT_EQ(std::system(("sqlite3 " + path + " 'INSERT INTO schema_migrations VALUES (99, 0)'").c_str()), 0);
  open_database(path)->migrate();
  spdlog::set_default_logger(previous);
  EXPECT_NE(log.str().find("its schema is at version 99, newer than this drover's latest"), std::string::npos)
      << log.str();
}

// Version 6 cuts the titles stored before extraction cut them to max_title_bytes.
// A scale-out review: a Workers app started on an empty database made its tables and
// said nothing (only the API warned). migrate_and_say is what both apps call.
TEST(migrations, tables_made_in_an_empty_database_are_said_as_a_warning_then_nothing) {
  test::temp_dir dir;
  const auto url = "sqlite://" + (dir / "new.db");
  auto db = open_database(url);
  test::captured_log log;
  migrate_and_say(*db, url);
  EXPECT_EQ(log.count("was empty; created its tables"), 1) << log.text();
  migrate_and_say(*db, url);
  EXPECT_EQ(log.count("database:"), 1) << log.text();  // nothing to apply, nothing said
}

TEST(migrations, version_6_cuts_a_title_stored_whole) {
  test::temp_dir dir;
  const auto path = dir / "drover.db";
  open_database(path)->migrate();
  const std::string long_title(100000, 't');
  const auto sql =
      "DELETE FROM schema_migrations WHERE version = 6; INSERT INTO documents (id, filename, "
      "content_type, size_bytes, job_id, status, title) VALUES ('d1', 'a.pdf', 'application/pdf', 1, 'j1', 'ready', '" +
      long_title + "');";
  ASSERT_EQ(std::system(("sqlite3 " + path + " \"" + sql + "\"").c_str()), 0);
  auto db = open_database(path);
  EXPECT_EQ(db->migrate(), std::vector<int>{6});
  auto doc = db->get_document("d1");
  ASSERT_TRUE(doc && doc->title);
  EXPECT_EQ(*doc->title, std::string(255, 't'));
}

}  // namespace
}  // namespace drover::app::detail
