// sqlite_database.cpp - drover::app::database over one SQLite connection: the
// SQL of each operation (the connection itself is sqlite_connection).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "db/backend_support.hpp"
#include "db/backends.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_connection.hpp"

namespace drover::app::detail {

namespace {

constexpr const char* sqlite_job_log_columns =
    "id, queue, job_id, job_type, status, user_id, payload, result, error_message, error_stack, attempts, "
    "created_at, started_at, completed_at, updated_at";

// ?1 job_id ?2 queue ?3 job_type ?4 user_id ?5 status ?6 payload ?7 result
// ?8 error_message ?9 error_stack ?10 attempts (NULL keeps) ?11 at_ms ?12 rank of ?5.
// The WHERE of DO UPDATE is the no-going-backwards rule: a lower rank, or the
// same rank but older than the stored row, leaves the row alone.
constexpr const char* upsert_job_log_sql = R"sql(
INSERT INTO job_logs (job_id, queue, job_type, user_id, status, payload, result, error_message, error_stack,
                      attempts, created_at, started_at, completed_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, COALESCE(?10, 0), ?11,
        CASE WHEN ?5 = 'processing' THEN ?11 END,
        CASE WHEN ?5 IN ('completed', 'failed') THEN ?11 END, ?11)
ON CONFLICT (queue, job_id) DO UPDATE SET
  job_type = CASE WHEN excluded.job_type = '' THEN job_logs.job_type ELSE excluded.job_type END,
  user_id = COALESCE(excluded.user_id, job_logs.user_id),
  status = excluded.status,
  payload = COALESCE(excluded.payload, job_logs.payload),
  result = COALESCE(excluded.result, job_logs.result),
  error_message = CASE WHEN excluded.status = 'completed' THEN excluded.error_message
                       ELSE COALESCE(excluded.error_message, job_logs.error_message) END,
  error_stack = CASE WHEN excluded.status = 'completed' THEN excluded.error_stack
                     ELSE COALESCE(excluded.error_stack, job_logs.error_stack) END,
  attempts = COALESCE(?10, job_logs.attempts),
  started_at = COALESCE(excluded.started_at, job_logs.started_at),
  completed_at = COALESCE(excluded.completed_at, job_logs.completed_at),
  updated_at = excluded.updated_at
WHERE ?12 > (CASE job_logs.status WHEN 'pending' THEN 0 WHEN 'processing' THEN 1 ELSE 2 END)
   OR (?12 = (CASE job_logs.status WHEN 'pending' THEN 0 WHEN 'processing' THEN 1 ELSE 2 END)
       AND ?11 >= job_logs.updated_at)
)sql";

class sqlite_database final : public database {
 public:
  explicit sqlite_database(std::string path) : conn_(std::move(path)) {}

  std::string_view backend() const override { return "sqlite"; }
  DROVER_APP_DATABASE_OPERATIONS

 private:
  // REQUIRES: mutex_ is held.
  std::optional<std::int64_t> insert_message(const std::optional<std::string>& idempotency_key,
                                             const std::string& conversation_id, const std::string& role,
                                             const std::string& content, const std::optional<std::string>& job_id);
  static job_log read_job_log(sqlite_query& q);
  // REQUIRES: mutex_ is held, inside a transaction.
  void upsert_job_logs(const std::vector<job_log_update>& batch);

  std::mutex mutex_;
  sqlite_connection conn_;  // DROVER_GUARDED_BY(mutex_)
};

// Retried while another process holds the lock (two apps starting on a new file); each
// version is checked inside its write transaction, so a retry applies only what is left.
std::vector<int> sqlite_database::migrate() {
  std::lock_guard lock(mutex_);
  std::vector<int> applied;  // across attempts: a version committed before a retry was applied
  retry_while_locked([this, &applied] {
    conn_.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        "creating schema_migrations");
    for (const auto& m : migrations()) {
      auto what = fmt::format("applying migration {} ({})", m.version, m.description);
      // Checked inside the write transaction, so two processes migrating at once
      // apply each version once.
      sqlite_transaction tx(conn_, what);
      {
        sqlite_query q(conn_, "SELECT 1 FROM schema_migrations WHERE version = ?1", what);
        if (q.bind(m.version).next()) continue;
      }
      conn_.exec(m.sqlite_sql, what);
      sqlite_query(conn_, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", what)
          .bind(m.version, now_ms())
          .run();
      tx.commit();
      applied.push_back(m.version);
    }
    sqlite_query newest(conn_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "reading the schema version");
    if (newest.next()) warn_if_schema_is_newer(static_cast<int>(newest.int64(0)));
  });
  return applied;
}

void sqlite_database::ping() {
  std::lock_guard lock(mutex_);
  sqlite_query(conn_, "SELECT 1", "ping").run();
}

void sqlite_database::ensure_conversation(const std::string& id, const std::string& user_id) {
  std::lock_guard lock(mutex_);
  auto what = fmt::format("creating conversation '{}'", id);
  sqlite_query(conn_,
               "INSERT INTO conversations (id, user_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
               what)
      .bind(id, user_id, now_ms())
      .run();
}

std::optional<std::string> sqlite_database::conversation_owner(const std::string& id) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_, "SELECT user_id FROM conversations WHERE id = ?1",
                 fmt::format("reading the owner of conversation '{}'", id));
  if (!q.bind(id).next()) return std::nullopt;
  return q.text(0);
}

std::optional<std::int64_t> sqlite_database::insert_message(const std::optional<std::string>& idempotency_key,
                                                            const std::string& conversation_id, const std::string& role,
                                                            const std::string& content,
                                                            const std::optional<std::string>& job_id) {
  auto what = fmt::format("adding a message to conversation '{}'", conversation_id);
  auto now = now_ms();
  sqlite_transaction tx(conn_, what);
  sqlite_query(
      conn_,
      "INSERT INTO conversations (id, user_id, created_at) VALUES (?1, 'unknown', ?2) ON CONFLICT (id) DO NOTHING",
      what)
      .bind(conversation_id, now)
      .run();
  std::optional<std::int64_t> id;
  {
    // ON CONFLICT DO NOTHING returns no row when the key exists: the UNIQUE
    // index decides, not a prior SELECT, so concurrent deliveries insert once.
    sqlite_query q(conn_,
                   "INSERT INTO messages (conversation_id, role, content, job_id, idempotency_key, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                   what);
    if (q.bind(conversation_id, role, content, job_id, idempotency_key, now).next()) id = q.int64(0);
    q.run();
  }
  tx.commit();
  return id;
}

std::int64_t sqlite_database::add_message(const std::string& conversation_id, const std::string& role,
                                          const std::string& content, std::optional<std::string> job_id) {
  std::lock_guard lock(mutex_);
  return *insert_message(std::nullopt, conversation_id, role, content, job_id);
}

std::optional<std::int64_t> sqlite_database::add_message_once(const std::string& idempotency_key,
                                                              const std::string& conversation_id,
                                                              const std::string& role, const std::string& content,
                                                              std::optional<std::string> job_id) {
  std::lock_guard lock(mutex_);
  return insert_message(idempotency_key, conversation_id, role, content, job_id);
}

std::vector<message> sqlite_database::list_messages(const std::string& conversation_id, std::size_t limit,
                                                    std::optional<std::int64_t> before) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_,
                 "SELECT id, conversation_id, role, content, job_id, created_at FROM ("
                 " SELECT * FROM messages WHERE conversation_id = ?1 AND id < ?3 ORDER BY id DESC LIMIT ?2"
                 ") ORDER BY id ASC",
                 fmt::format("listing the messages of conversation '{}'", conversation_id));
  q.bind(conversation_id, clamp_limit(limit), before.value_or(no_message_after));
  std::vector<message> out;
  while (q.next()) {
    out.push_back({q.int64(0), q.text(1), q.text(2), q.text(3), q.optional_text(4), q.int64(5)});
  }
  return out;
}

std::optional<message> sqlite_database::find_message_by_key(const std::string& idempotency_key) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_,
                 "SELECT id, conversation_id, role, content, job_id, created_at FROM messages "
                 "WHERE idempotency_key = ?1",
                 fmt::format("reading the message of idempotency key '{}'", idempotency_key));
  if (!q.bind(idempotency_key).next()) return std::nullopt;
  return message{q.int64(0), q.text(1), q.text(2), q.text(3), q.optional_text(4), q.int64(5)};
}

bool sqlite_database::set_message_job(std::int64_t message_id, const std::string& job_id,
                                      const std::optional<std::string>& replacing) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_,
                 "UPDATE messages SET job_id = ?2 WHERE id = ?1 AND (job_id IS NULL OR job_id = ?3) RETURNING id",
                 fmt::format("recording job {} for message {}", job_id, message_id));
  bool written = q.bind(message_id, job_id, replacing).next();
  q.run();
  return written;
}

std::vector<std::string> sqlite_database::recent_job_ids(const std::string& queue, std::size_t limit) {
  std::lock_guard lock(mutex_);
  sqlite_query q(
      conn_,
      "SELECT job_id FROM (SELECT job_id FROM messages WHERE job_id IS NOT NULL ORDER BY id DESC LIMIT ?2) "
      "UNION ALL SELECT job_id FROM (SELECT job_id FROM job_logs WHERE queue = ?1 ORDER BY id DESC LIMIT ?2)",
      fmt::format("reading the newest job ids of {}", queue));
  q.bind(queue, clamp_limit(limit));
  std::vector<std::string> out;
  while (q.next()) out.push_back(q.text(0));
  return out;
}

void sqlite_database::put_assessment(const std::string& user_id, const std::string& json) {
  std::lock_guard lock(mutex_);
  sqlite_query(conn_,
               "INSERT INTO user_assessments (user_id, data, updated_at) VALUES (?1, ?2, ?3) "
               "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
               fmt::format("storing the assessment of user '{}'", user_id))
      .bind(user_id, json, now_ms())
      .run();
}

std::optional<std::string> sqlite_database::get_assessment(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_, "SELECT data FROM user_assessments WHERE user_id = ?1",
                 fmt::format("reading the assessment of user '{}'", user_id));
  if (!q.bind(user_id).next()) return std::nullopt;
  return q.text(0);
}

void sqlite_database::upsert_job_logs(const std::vector<job_log_update>& batch) {
  auto now = now_ms();
  for (const auto& u : batch) {
    auto job_what = fmt::format("recording job log {}/{} as {}", u.queue, u.job_id, u.status);
    if (u.begins) {
      sqlite_query(conn_, "DELETE FROM job_logs WHERE queue = ?1 AND job_id = ?2 AND updated_at < ?3", job_what)
          .bind(u.queue, u.job_id, u.at_ms != 0 ? u.at_ms : now)
          .run();
    }
    sqlite_query(conn_, upsert_job_log_sql, job_what)
        .bind(u.job_id, u.queue, u.job_type, u.user_id, u.status, u.payload_json, u.result_json, u.error_message,
              u.error_stack, u.attempts, u.at_ms != 0 ? u.at_ms : now, job_status_rank(u.status))
        .run();
  }
}

void sqlite_database::record_job_logs(const std::vector<job_log_update>& batch) {
  check_job_log_batch(batch);
  if (batch.empty()) return;
  std::lock_guard lock(mutex_);
  sqlite_transaction tx(conn_, fmt::format("recording {} job log update(s)", batch.size()));
  upsert_job_logs(batch);
  tx.commit();
}

void sqlite_database::record_job_logs_at(const std::vector<job_log_update>& batch, const std::string& stream,
                                         const std::string& position) {
  check_job_log_batch(batch);
  std::lock_guard lock(mutex_);
  auto what = fmt::format("recording {} job log update(s) up to {} of {}", batch.size(), position, stream);
  sqlite_transaction tx(conn_, what);
  upsert_job_logs(batch);
  sqlite_query(conn_,
               "INSERT INTO event_stream_positions (stream, last_id, updated_at) VALUES (?1, ?2, ?3) "
               "ON CONFLICT (stream) DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at",
               what)
      .bind(stream, position, now_ms())
      .run();
  tx.commit();
}

std::optional<std::string> sqlite_database::event_stream_position(const std::string& stream) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_, "SELECT last_id FROM event_stream_positions WHERE stream = ?1",
                 fmt::format("reading the position in {}", stream));
  if (!q.bind(stream).next()) return std::nullopt;
  return q.text(0);
}

std::vector<job_log> sqlite_database::unfinished_job_logs(const std::string& queue, std::size_t limit) {
  std::lock_guard lock(mutex_);
  static const std::string sql = fmt::format(
      "SELECT {} FROM job_logs WHERE status IN ('pending', 'processing') AND queue = ?1 ORDER BY id LIMIT ?2",
      sqlite_job_log_columns);
  sqlite_query q(conn_, sql.c_str(), fmt::format("listing the unfinished job logs of {}", queue));
  q.bind(queue, clamp_limit(limit));
  std::vector<job_log> out;
  while (q.next()) out.push_back(read_job_log(q));
  return out;
}

job_log sqlite_database::read_job_log(sqlite_query& q) {
  job_log j;
  j.id = q.int64(0);
  j.queue = q.text(1);
  j.job_id = q.text(2);
  j.job_type = q.text(3);
  j.status = q.text(4);
  j.user_id = q.optional_text(5);
  j.payload_json = q.optional_text(6);
  j.result_json = q.optional_text(7);
  j.error_message = q.optional_text(8);
  j.error_stack = q.optional_text(9);
  j.attempts = static_cast<int>(q.int64(10));
  j.created_at_ms = q.int64(11);
  j.started_at_ms = q.optional_int64(12);
  j.completed_at_ms = q.optional_int64(13);
  j.updated_at_ms = q.int64(14);
  return j;
}

std::optional<job_log> sqlite_database::get_job_log(const std::string& queue, const std::string& job_id) {
  std::lock_guard lock(mutex_);
  static const std::string sql =
      fmt::format("SELECT {} FROM job_logs WHERE queue = ?1 AND job_id = ?2", sqlite_job_log_columns);
  sqlite_query q(conn_, sql.c_str(), fmt::format("reading job log {}/{}", queue, job_id));
  if (!q.bind(queue, job_id).next()) return std::nullopt;
  return read_job_log(q);
}

std::vector<job_log> sqlite_database::list_job_logs(std::optional<std::string> status, std::size_t limit) {
  std::lock_guard lock(mutex_);
  // Two statements rather than "?1 IS NULL OR status = ?1", which would keep the
  // planner off idx_job_logs_status.
  static const std::string all_sql =
      fmt::format("SELECT {} FROM job_logs ORDER BY id DESC LIMIT ?1", sqlite_job_log_columns);
  static const std::string by_status_sql =
      fmt::format("SELECT {} FROM job_logs WHERE status = ?2 ORDER BY id DESC LIMIT ?1", sqlite_job_log_columns);
  sqlite_query q(conn_, (status ? by_status_sql : all_sql).c_str(), "listing job logs");
  if (status) {
    q.bind(clamp_limit(limit), *status);
  } else {
    q.bind(clamp_limit(limit));
  }
  std::vector<job_log> out;
  while (q.next()) out.push_back(read_job_log(q));
  return out;
}

void sqlite_database::add_document(const document& doc, const std::string& content) {
  std::lock_guard lock(mutex_);
  auto now = now_ms();
  sqlite_query(conn_,
               "INSERT INTO documents (id, conversation_id, user_id, filename, content_type, size_bytes, content, "
               "job_id, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?9)",
               fmt::format("storing document '{}'", doc.id))
      .bind(doc.id, doc.conversation_id, doc.user_id, doc.filename, doc.content_type, doc.size_bytes,
            sqlite_blob{content}, doc.job_id, now)
      .run();
}

std::optional<document> sqlite_database::get_document(const std::string& id, text_slice slice) {
  std::lock_guard lock(mutex_);
  // Bytes, not characters: SQLite's substr() counts characters in TEXT.
  sqlite_query q(conn_,
                 "SELECT id, conversation_id, filename, content_type, size_bytes, job_id, status, error, title, "
                 "page_count, word_count, chunk_count, substr(CAST(text AS BLOB), ?2 + 1, ?3), created_at, "
                 "updated_at, user_id, length(CAST(text AS BLOB)) FROM documents WHERE id = ?1",
                 fmt::format("reading document '{}'", id));
  const std::int64_t bytes = slice.bytes < 0 ? std::numeric_limits<std::int32_t>::max() : slice.bytes;
  if (!q.bind(id, slice.from, bytes).next()) return std::nullopt;
  document d;
  d.id = q.text(0);
  d.conversation_id = q.optional_text(1);
  d.filename = q.text(2);
  d.content_type = q.text(3);
  d.size_bytes = q.int64(4);
  d.job_id = q.text(5);
  d.status = q.text(6);
  d.error = q.optional_text(7);
  d.title = q.optional_text(8);
  if (auto v = q.optional_int64(9)) d.page_count = static_cast<int>(*v);
  d.word_count = q.optional_int64(10);
  if (auto v = q.optional_int64(11)) d.chunk_count = static_cast<int>(*v);
  d.text_bytes = q.optional_int64(16);
  if (d.text_bytes) {
    d.text = q.blob(12);
    d.text_from = std::min(slice.from, *d.text_bytes);
  }
  d.created_at_ms = q.int64(13);
  d.updated_at_ms = q.int64(14);
  d.user_id = q.optional_text(15);
  return d;
}

std::optional<std::string> sqlite_database::get_document_content(const std::string& id) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_, "SELECT content FROM documents WHERE id = ?1",
                 fmt::format("reading the upload of document '{}'", id));
  if (!q.bind(id).next()) return std::nullopt;
  return q.blob(0);
}

database::document_usage sqlite_database::user_document_usage(const std::string& user_id,
                                                              std::int64_t unfinished_since_ms) {
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_,
                 "SELECT COALESCE(SUM(size_bytes), 0), "
                 "COALESCE(SUM(status IN ('queued', 'processing') AND updated_at >= ?2), 0) "
                 "FROM documents WHERE user_id = ?1",
                 fmt::format("summing the uploads of user '{}'", user_id));
  document_usage usage;
  if (q.bind(user_id, unfinished_since_ms).next()) usage = {q.int64(0), q.int64(1)};
  return usage;
}

bool sqlite_database::delete_document(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto what = fmt::format("deleting document '{}'", id);
  sqlite_transaction tx(conn_, what);
  // The chunks first, by hand: their full-text index follows them through its trigger.
  sqlite_query(conn_, "DELETE FROM document_chunks WHERE document_id = ?1", what).bind(id).run();
  sqlite_query q(conn_, "DELETE FROM documents WHERE id = ?1 RETURNING 1", what);
  bool found = q.bind(id).next();
  q.run();
  tx.commit();
  return found;
}

bool sqlite_database::set_document_status(const std::string& id, const std::string& status,
                                          std::optional<std::string> error) {
  check_document_status(status);
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_, "UPDATE documents SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1 RETURNING 1",
                 fmt::format("marking document '{}' {}", id, status));
  bool found = q.bind(id, status, error, now_ms()).next();
  q.run();
  return found;
}

bool sqlite_database::store_document_extraction(const std::string& id, const document_extraction& x) {
  std::lock_guard lock(mutex_);
  auto what = fmt::format("storing the text and {} chunk(s) of document '{}'", x.chunks.size(), id);
  sqlite_transaction tx(conn_, what);
  {
    sqlite_query q(conn_,
                   "UPDATE documents SET status = 'ready', error = NULL, title = ?2, page_count = ?3, "
                   "word_count = ?4, chunk_count = ?5, text = ?6, updated_at = ?7 WHERE id = ?1 RETURNING 1",
                   what);
    std::optional<std::int64_t> pages;
    if (x.page_count) pages = *x.page_count;
    bool found =
        q.bind(id, x.title, pages, x.word_count, static_cast<std::int64_t>(x.chunks.size()), x.text, now_ms()).next();
    q.run();
    if (!found) return false;
  }
  // A retry replaces what an earlier attempt stored.
  sqlite_query(conn_, "DELETE FROM document_chunks WHERE document_id = ?1", what).bind(id).run();
  for (std::size_t i = 0; i < x.chunks.size(); ++i) {
    sqlite_query(conn_, "INSERT INTO document_chunks (document_id, seq, content) VALUES (?1, ?2, ?3)", what)
        .bind(id, static_cast<std::int64_t>(i), x.chunks[i])
        .run();
  }
  tx.commit();
  return true;
}

std::vector<chunk_match> sqlite_database::search_document_chunks(const std::string& conversation_id,
                                                                 const std::string& query, std::size_t limit) {
  std::vector<chunk_match> out;
  auto words = search_words(query);
  if (words.empty() || limit == 0) return out;
  // Each word as an FTS5 string ("..."), joined by OR: any word matches, bm25 ranks.
  std::string match;
  for (const auto& w : words) {
    if (!match.empty()) match += " OR ";
    match += '"' + w + '"';
  }
  std::lock_guard lock(mutex_);
  sqlite_query q(conn_,
                 "SELECT c.document_id, COALESCE(d.title, d.filename), c.seq, c.content, -bm25(document_chunks_fts) "
                 "FROM document_chunks_fts JOIN document_chunks c ON c.id = document_chunks_fts.rowid "
                 "JOIN documents d ON d.id = c.document_id "
                 "WHERE document_chunks_fts MATCH ?1 AND d.conversation_id = ?2 AND d.status = 'ready' "
                 "ORDER BY bm25(document_chunks_fts), c.document_id, c.seq LIMIT ?3",
                 fmt::format("searching the documents of conversation '{}'", conversation_id));
  q.bind(match, conversation_id, clamp_limit(limit));
  while (q.next()) out.push_back({q.text(0), q.text(1), static_cast<int>(q.int64(2)), q.text(3), q.real(4)});
  return out;
}

}  // namespace

std::unique_ptr<database> open_sqlite(const std::string& path) { return std::make_unique<sqlite_database>(path); }

}  // namespace drover::app::detail
