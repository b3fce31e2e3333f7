// sqlite_connection.hpp - one sqlite3 handle made pleasant: our pragmas, cached
// prepared statements, IMMEDIATE transactions, and errors that name the operation.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <drover_app/db/database.hpp>

namespace drover::app::detail {

// What fail() throws when the database is locked (SQLITE_BUSY or SQLITE_LOCKED) after the
// busy timeout, or at once where SQLite does not wait (two connections switching a new
// file to WAL together): worth trying again, see retry_while_locked.
class sqlite_locked_error : public database_error {
 public:
  using database_error::database_error;
};

// How long opening and migrating keep trying while another process holds the lock.
inline constexpr std::chrono::seconds sqlite_lock_patience{10};

// Runs `fn` again while it throws sqlite_locked_error, for up to `patience`; then lets the
// last error through. For start-up work only (the WAL switch, migrations): two apps
// started at once on a new file both get there (an operator review: `drover api` and
// `drover workers` started together, one died with "enabling WAL: database is locked").
template <class Fn>
auto retry_while_locked(Fn&& fn, std::chrono::milliseconds patience = sqlite_lock_patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, std::chrono::milliseconds(200))) {
    try {
      return fn();
    } catch (const sqlite_locked_error&) {
      if (std::chrono::steady_clock::now() + pause >= deadline) throw;
    }
    std::this_thread::sleep_for(pause);
  }
}

// Opened with busy_timeout 5000 ms, WAL (retried while locked) and foreign keys on; the file's directory
// is created when missing. Thread safety: none; its owner serializes all use
// (sqlite_database holds it under its mutex, and opens it SQLITE_OPEN_NOMUTEX).
class sqlite_connection {
 public:
  // `path` is a file path or ":memory:". Throws database_error.
  explicit sqlite_connection(std::string path);
  ~sqlite_connection();
  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;

  // Throws database_error: "<what>: <sqlite message> (SQLite <path>, code N)";
  // sqlite_locked_error when the database is locked.
  [[noreturn]] void fail(std::string_view what) const;
  // Runs one or more statements that return nothing (a migration script).
  void exec(const char* sql, std::string_view what);
  // The statement for `sql`, prepared on first use and kept for the connection's life.
  sqlite3_stmt* prepare(const char* sql, std::string_view what);
  sqlite3* handle() const { return db_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;  // by SQL text
};

// Bytes to bind as a BLOB rather than TEXT (uploads, which need not be UTF-8).
struct sqlite_blob {
  const std::string& bytes;
};

// One use of a cached statement: binds, steps, reads columns, and resets the
// statement when it goes out of scope (so it never holds a read snapshot open).
class sqlite_query {
 public:
  sqlite_query(sqlite_connection& conn, const char* sql, std::string_view what)
      : conn_(conn), stmt_(conn.prepare(sql, what)), what_(what) {}
  ~sqlite_query() {
    ::sqlite3_reset(stmt_);
    ::sqlite3_clear_bindings(stmt_);
  }
  sqlite_query(const sqlite_query&) = delete;
  sqlite_query& operator=(const sqlite_query&) = delete;

  // Binds ?1, ?2, ... in order; std::nullopt binds NULL.
  template <class... Args>
  sqlite_query& bind(const Args&... args) {
    int i = 0;
    (bind_one(++i, args), ...);
    return *this;
  }

  // True when a row is ready to read, false when the statement is done.
  bool next() {
    int rc = ::sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    conn_.fail(what_);
  }
  void run() {
    while (next()) {
    }
  }

  std::int64_t int64(int col) { return ::sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> optional_int64(int col) {
    if (::sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return int64(col);
  }
  std::string text(int col) {
    auto p = reinterpret_cast<const char*>(::sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(::sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  std::string blob(int col) {
    auto p = static_cast<const char*>(::sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(::sqlite3_column_bytes(stmt_, col))) : std::string();
  }
  double real(int col) { return ::sqlite3_column_double(stmt_, col); }
  std::optional<std::string> optional_text(int col) {
    if (::sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return text(col);
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) conn_.fail(what_);
  }
  void bind_one(int i, const std::string& v) {
    check(::sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind_one(int i, const sqlite_blob& v) {
    check(::sqlite3_bind_blob64(stmt_, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT));
  }
  void bind_one(int i, std::int64_t v) { check(::sqlite3_bind_int64(stmt_, i, v)); }
  void bind_one(int i, int v) { check(::sqlite3_bind_int(stmt_, i, v)); }
  template <class T>
  void bind_one(int i, const std::optional<T>& v) {
    if (v) {
      bind_one(i, *v);
    } else {
      check(::sqlite3_bind_null(stmt_, i));
    }
  }

  sqlite_connection& conn_;
  sqlite3_stmt* stmt_;
  // Owned: callers build it with fmt::format in the constructor's call, a temporary gone
  // by the time a step fails (a SQLite review's disk-full errors logged freed memory).
  std::string what_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed. IMMEDIATE takes the
// write lock up front: a deferred transaction that read first and then writes
// fails with SQLITE_BUSY at once when another connection wrote in between,
// without waiting out busy_timeout.
class sqlite_transaction {
 public:
  sqlite_transaction(sqlite_connection& conn, std::string what) : conn_(conn), what_(std::move(what)) {
    conn_.exec("BEGIN IMMEDIATE", what_);
  }
  ~sqlite_transaction() {
    if (!done_) ::sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  sqlite_transaction(const sqlite_transaction&) = delete;
  sqlite_transaction& operator=(const sqlite_transaction&) = delete;

  void commit() {
    conn_.exec("COMMIT", what_);
    done_ = true;
  }

 private:
  sqlite_connection& conn_;
  std::string what_;  // owned: callers build it with fmt::format for the whole transaction
  bool done_ = false;
};

}  // namespace drover::app::detail
