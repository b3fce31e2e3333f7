// open_database_test.cpp - URLs: which backend each one opens, which are refused,
// and that passwords never reach an error message (database.cpp).
#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace drover::app {
namespace {

namespace fs = std::filesystem;

TEST(open_database, sqlite_url_forms) {
  test::temp_dir dir;
  struct test_case {
    std::string url;
    std::string file;  // expected to exist afterwards, relative to dir; empty for memory
  };
  const std::vector<test_case> cases = {
      {"sqlite://" + (dir / "abs.db"), "abs.db"},                  // sqlite:///tmp/...
      {"SQLITE://" + (dir / "upper.db"), "upper.db"},              // scheme is case-insensitive
      {"sqlite://" + (dir / "made/nested.db"), "made/nested.db"},  // its directory created
      {"sqlite://rel/relative.db", "rel/relative.db"},             // relative to the working directory
      {"sqlite:colon.db", "colon.db"},
      {dir / "plain.db", "plain.db"},
      {"plain-relative.db", "plain-relative.db"},
      // File paths with '@' or "//" in them are paths, not mistyped URLs.
      {dir / "app@2.db", "app@2.db"},
      {dir.path() + "//double-slash.db", "double-slash.db"},
      {"sqlite::memory:", ""},
  };
  auto cwd = fs::current_path();
  fs::current_path(dir.path());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    std::unique_ptr<database> db;
    ASSERT_NO_THROW(db = open_database(c.url));
    EXPECT_EQ(db->backend(), "sqlite");
    EXPECT_EQ(db->migrate(), (std::vector<int>{1, 2, 3, 4, 5, 6}));
    db->add_message("c", "user", "x", std::nullopt);
    EXPECT_EQ(db->list_messages("c").size(), 1u);
    if (!c.file.empty()) {
      EXPECT_TRUE(fs::exists(dir / c.file));
    }
  }
  fs::current_path(cwd);
}

// A mistyped path fails rather than starting on a new, empty database elsewhere: only
// the file's own directory is made (./var), not a whole missing path.
TEST(open_database, refuses_a_path_whose_parent_directories_are_missing) {
  test::temp_dir dir;
  const std::string url = "sqlite://" + (dir / "no/such/dir/x.db");
  try {
    open_database(url);
    ADD_FAILURE() << "opened " << url;
  } catch (const database_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create directory"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "no"));
}

TEST(open_database, refuses_bad_urls_without_showing_passwords) {
  struct test_case {
    std::string url;
    std::string must_mention;
  };
  const std::vector<test_case> cases = {
      {"", "empty"},
      {"mysql://root:hunter2@localhost/db", "'mysql'"},
      {"redis://:hunter2@localhost:6379", "'redis'"},
      {"http://example.com/x.db", "'http'"},
      {"sqlite://", "no file path"},
      {"sqlite:", "no file path"},
      {"weird:hunter2@host://x", "malformed"},  // a "scheme" that is not one is not quoted
      // Mistyped URLs are refused, not opened as SQLite files in a directory named after
      // the password (an operator review), and quoted redacted.
      {"postgres//u:hunter2@host/db", "'postgres//u:***@host/db' looks like a URL but has no known scheme"},
      {"postgres:/u:hunter2@host/db", "no known scheme"},
      {"u:hunter2@host/db", "no known scheme"},
      {"//host/db", "no known scheme"},
      // The scheme forgotten: a host and port, not a file to make (an operator's drill).
      {"10.255.255.1:5432", "no known scheme"},
      {"db.internal:5432/app", "no known scheme"},
      // Each of these opened a new, empty file (a configuration review).
      {"/var/lib/drover/drover.db ", "white space"},
      {" postgres://u:hunter2@host/db", "white space"},
      {"  ", "white space"},
      {"sqlite:///var/lib/drover/x.db?mode=ro", "has a query"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    try {
      open_database(c.url);
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(c.must_mention), std::string::npos) << what;
      EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
    }
  }
}

TEST(open_database, sqlite_file_that_cannot_be_created_is_a_database_error) {
  test::temp_dir dir;
  std::ofstream(dir / "file") << "not a directory";
  EXPECT_THROW(open_database("sqlite://" + (dir / "file/sub/x.db")), database_error);
}

TEST(open_database, postgres_unreachable_fails_fast_without_the_password) {
  // A refused port, and an address that drops packets (or is unroutable here),
  // both bounded by connect_timeout.
  for (std::string url : {"postgres://postgres:hunter2@127.0.0.1:1/postgres?connect_timeout=2",
                          "postgresql://postgres:hunter2@10.255.255.1:5432/postgres?connect_timeout=2"}) {
    SCOPED_TRACE(url);
    auto start = std::chrono::steady_clock::now();
    try {
      open_database(url);
      ADD_FAILURE() << "no exception";
    } catch (const database_error& e) {
      std::string what = e.what();
      EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
      EXPECT_NE(what.find("postgres:***@"), std::string::npos) << what;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  }
}

}  // namespace
}  // namespace drover::app
