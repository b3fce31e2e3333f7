// sqlite_connection.cpp - opening, configuring and closing one sqlite3 handle.
#include "db/sqlite_connection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include <drover_app/db/database.hpp>

namespace drover::app::detail {

sqlite_connection::sqlite_connection(std::string path) : path_(std::move(path)) {
  if (path_ != ":memory:") {
    // The file's own directory (./var) is made, not a whole missing path: a mistyped
    // DATABASE_URL must fail, not start on a new, empty database somewhere else.
    auto dir = std::filesystem::path(path_).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directory(dir, ec);
    if (ec) {
      throw database_error(
          fmt::format("opening SQLite database {}: cannot create directory {}: {}", path_, dir.string(), ec.message()));
    }
    // A new file is its owner's alone: it holds every message, upload and assessment, and
    // SQLite would make it with the process's umask (world-readable under the usual 022).
    // Its -wal and -shm files take the same mode from it. An existing file is left as the
    // operator set it.
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  int rc =
      ::sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? ::sqlite3_errmsg(db_) : ::sqlite3_errstr(rc);
    ::sqlite3_close(db_);
    throw database_error(fmt::format("opening SQLite database {}: {}", path_, msg));
  }
  try {
    // SQLite opens a file it may not write read-only without a word: the apps started,
    // said they were ready, and answered every write 503 until restarted (a SQLite review).
    if (::sqlite3_db_readonly(db_, "main") == 1) {
      throw database_error(
          fmt::format("opening SQLite database {}: the file cannot be written by this process (its permissions, or its "
                      "directory's): drover writes to it",
                      path_));
    }
    ::sqlite3_extended_result_codes(db_, 1);
    // busy_timeout first: switching to WAL needs a lock another connection may hold.
    // SQLite does not always wait, though: two connections switching a new file at once
    // may get SQLITE_BUSY at once, hence the retries.
    ::sqlite3_busy_timeout(db_, 5000);
    retry_while_locked([this] { exec("PRAGMA journal_mode = WAL", "enabling WAL"); });
    exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
    // The WAL file keeps its largest size otherwise: one big upload left 35 MB of it for
    // good, and on a small disk the whole disk (a SQLite review). Cut back to 16 MiB after
    // each checkpoint.
    exec("PRAGMA journal_size_limit = 16777216", "limiting the WAL file");
    // Statement journals and sorts in memory, not in files under TMPDIR: a full /tmp
    // failed storing and deleting large documents with "database or disk is full" naming
    // the database's volume, which had room (a disk-full review).
    exec("PRAGMA temp_store = MEMORY", "keeping temporary files in memory");
  } catch (...) {
    ::sqlite3_close(db_);
    throw;
  }
}

sqlite_connection::~sqlite_connection() {
  for (auto& [sql, stmt] : cache_) ::sqlite3_finalize(stmt);
  ::sqlite3_close(db_);
}

void sqlite_connection::fail(std::string_view what) const {
  const int code = ::sqlite3_extended_errcode(db_);
  auto message = fmt::format("{}: {} (SQLite {}, code {})", what, ::sqlite3_errmsg(db_), path_, code);
  const int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw sqlite_locked_error(message);
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY || primary == SQLITE_NOMEM) {
    throw database_unwritable(message);
  }
  throw database_error(message);
}

void sqlite_connection::exec(const char* sql, std::string_view what) {
  if (::sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(what);
}

sqlite3_stmt* sqlite_connection::prepare(const char* sql, std::string_view what) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (::sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) fail(what);
  cache_.emplace(sql, stmt);
  return stmt;
}

}  // namespace drover::app::detail
