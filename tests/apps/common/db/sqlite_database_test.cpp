// sqlite_database_test.cpp - what the SQLite backend sets up on the file: WAL,
// foreign keys, and errors that say what was being done.
#include <drover_app/db/database.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

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

// A disk that takes no more (here a file-size limit, in a child process) is a passing
// state, not a refusal of the data: the job-log relay keeps what it has for later, where
// it dropped it row by row.
TEST(sqlite_database, a_write_the_disk_cannot_take_is_reported_as_unwritable) {
  test::temp_dir dir;
  const std::string path = dir / "x.db";
  open_database(path)->migrate();
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    int code = 1;
    try {
      auto db = open_database(path);
      ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
      const rlimit small{256 * 1024, 256 * 1024};
      ::setrlimit(RLIMIT_FSIZE, &small);
      job_log_update u;
      u.queue = "q";
      u.job_id = "1";
      u.status = "pending";
      u.payload_json = "\"" + std::string(1024 * 1024, 'x') + "\"";  // a JSON string
      try {
        db->record_job_logs({u});
      } catch (const database_unwritable&) {
        code = 0;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      code = 2;
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no database_unwritable, 2: another failure";
}

TEST(sqlite_database, file_is_in_wal_mode) {
  test::temp_dir dir;
  auto db = open_database(dir / "x.db");
  db->migrate();
  EXPECT_EQ(pragma(dir / "x.db", "PRAGMA journal_mode"), "wal");  // WAL is a property of the file
}

// The file holds every message and upload: a new one, and the WAL files beside it, are
// readable by their owner alone whatever the umask; an existing file keeps its mode.
TEST(sqlite_database, a_new_file_is_its_owners_alone) {
  test::temp_dir dir;
  const auto old_mask = ::umask(022);
  {
    auto db = open_database(dir / "x.db");
    db->migrate();
    db->ensure_conversation("c1", "alice");
    for (const char* name : {"x.db", "x.db-wal", "x.db-shm"}) {
      struct stat st {};
      ASSERT_EQ(::stat((dir / name).c_str(), &st), 0) << name;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    }
  }
  ASSERT_EQ(::chmod((dir / "x.db").c_str(), 0640), 0);
  open_database(dir / "x.db")->migrate();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "x.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ::umask(old_mask);
}

// The WAL file is cut back after a big write (it kept its largest size: 35 MB after one
// upload, the whole of a small disk).
TEST(sqlite_database, the_wal_file_shrinks_after_a_big_write) {
  test::temp_dir dir;
  auto db = open_database(dir / "x.db");
  db->migrate();
  job_log_update u;
  u.queue = "q";
  u.job_id = "1";
  u.status = "pending";
  u.payload_json = "\"" + std::string(30 * 1024 * 1024, 'x') + "\"";
  db->record_job_logs({u});
  struct stat st {};
  ASSERT_EQ(::stat((dir / "x.db-wal").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 16 * 1024 * 1024) << "the big write went through the WAL";
  for (int i = 0; i < 5; ++i) db->ensure_conversation("c" + std::to_string(i), "alice");
  ASSERT_EQ(::stat((dir / "x.db-wal").c_str(), &st), 0);
  EXPECT_LE(st.st_size, 16 * 1024 * 1024);
}

// A file the process may not write is refused at the start (SQLite opened it read-only
// without a word: the apps said they were ready and answered every write 503). In a child
// process that is not root, to which file modes do not apply.
TEST(sqlite_database, a_file_it_cannot_write_is_refused_at_the_start) {
  test::temp_dir dir;
  open_database(dir / "x.db")->migrate();
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod((dir / "x.db").c_str(), 0444), 0);
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    try {
      open_database(dir / "x.db");
    } catch (const database_error& e) {
      ::_exit(std::string(e.what()).find("cannot be written by this process") != std::string::npos ? 0 : 2);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: opened, 2: another error, 3: could not drop root";
}

// Two apps started together on a new file (an operator review: `drover api` and
// `drover workers`, one died with "enabling WAL: database is locked" in 3 of 6 runs):
// processes opening and migrating it at once all come up, and each version is applied once.
TEST(sqlite_database, processes_opening_a_new_file_at_once_all_come_up) {
  constexpr int rounds = 8;
  constexpr int processes = 4;
  for (int round = 0; round < rounds; ++round) {
    test::temp_dir dir;
    const std::string path = dir / "fresh.db";
    std::vector<pid_t> children;
    for (int i = 0; i < processes; ++i) {
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        int code = 0;
        try {
          auto db = open_database(path);
          db->migrate();
          db->ping();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "child %d: %s\n", i, e.what());
          code = 1;
        }
        ::_exit(code);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
    EXPECT_EQ(pragma(path, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(pragma(path, "SELECT COUNT(*) = COUNT(DISTINCT version) FROM schema_migrations"), "1");
  }
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
