// postgres_database.cpp - drover::app::database over a few PostgreSQL connections
// (libpqxx 6.4), each re-established after it is lost.
#include <poll.h>

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <drover_app/logging/redact.hpp>

#include "db/backend_support.hpp"
#include "db/backends.hpp"
#include "db/migrations.hpp"
#include "db/postgres_settings.hpp"

namespace drover::app::detail {

namespace {

// Times cross the wire as integer milliseconds; these convert at the column.
#define DROVER_PG_TS(param) "(TIMESTAMPTZ 'epoch' + (" param ")::bigint * INTERVAL '1 millisecond')"
#define DROVER_PG_MS(column) "(EXTRACT(EPOCH FROM " column ") * 1000)::bigint"
#define DROVER_PG_RANK(status) "(CASE " status " WHEN 'pending' THEN 0 WHEN 'processing' THEN 1 ELSE 2 END)"

constexpr const char* pg_job_log_columns =
    "id, queue, job_id, job_type, status, user_id, payload::text, result::text, error_message, error_stack, "
    "attempts, " DROVER_PG_MS("created_at") ", " DROVER_PG_MS("started_at") ", " DROVER_PG_MS(
        "completed_at") ", " DROVER_PG_MS("updated_at");

// Session-wide prepared statements, prepared again on every new connection.
struct statement {
  const char* name;
  std::string sql;
};

const std::vector<statement>& statements() {
  // The SQL is laid out by hand: clang-format cannot lay out literals joined by macros.
  // clang-format off
  static const std::vector<statement> all = {
      {"ping", "SELECT 1"},
      {"ensure_conversation",
       "INSERT INTO conversations (id, user_id, created_at) VALUES ($1, $2, " DROVER_PG_TS("$3") ") "
       "ON CONFLICT (id) DO NOTHING"},
      // ON CONFLICT DO NOTHING returns no row when the key exists: the UNIQUE
      // index decides (a concurrent insert of the same key waits for the first
      // transaction, then does nothing), not a prior SELECT.
      // The conversation is made sure of in the same statement (one round trip, not
      // two): the foreign key is checked at the end of the statement, after the CTE.
      {"insert_message",
       "WITH conversation AS (INSERT INTO conversations (id, user_id, created_at) VALUES ($1, 'unknown', "
       DROVER_PG_TS("$6") ") ON CONFLICT (id) DO NOTHING) "
       "INSERT INTO messages (conversation_id, role, content, job_id, idempotency_key, created_at) "
       "VALUES ($1, $2, $3, $4, $5, " DROVER_PG_TS("$6") ") ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"},
      // POST /api/chat/send's work in one statement. The CTEs share one snapshot, so
      // the history does not include the message added beside it; the foreign key
      // is checked at the end, after the conversation's insert. $6 require_owner.
      // The owner is the user just inserted, else the one stored; the history, the
      // message and the assessment are read or written only when allowed, so a refusal
      // (first column NULL) writes nothing. The owner is NULL when another statement
      // created the conversation after this one's snapshot was taken (the INSERT waited
      // for it, then did nothing, but the snapshot cannot see its row): unknown owner,
      // refused, and the caller runs the statement again to learn who won.
      // One row per history message (none: one row of NULLs), each carrying the new
      // id, the assessment and the owner.
      {"save_user_message",
       "WITH conversation AS (INSERT INTO conversations (id, user_id, created_at) VALUES ($1, $2, " DROVER_PG_TS("$5") ") "
       "ON CONFLICT (id) DO NOTHING RETURNING user_id), "
       "owner AS (SELECT COALESCE((SELECT user_id FROM conversation), "
       "(SELECT user_id FROM conversations WHERE id = $1)) AS user_id), "
       "allowed AS (SELECT NOT $6::boolean OR COALESCE(user_id = $2, false) AS ok FROM owner), "
       "history AS (SELECT id, conversation_id, role, content, job_id, " DROVER_PG_MS("created_at") " AS created_ms "
       "FROM messages WHERE conversation_id = $1 AND (SELECT ok FROM allowed) ORDER BY id DESC LIMIT $4::bigint), "
       "added AS (INSERT INTO messages (conversation_id, role, content, created_at) SELECT $1, 'user', $3::text, "
       DROVER_PG_TS("$5") " WHERE (SELECT ok FROM allowed) RETURNING id) "
       "SELECT (SELECT id FROM added), "
       "(SELECT data::text FROM user_assessments WHERE user_id = $2 AND (SELECT ok FROM allowed)), "
       "(SELECT user_id FROM owner), h.id, h.conversation_id, h.role, h.content, h.job_id, h.created_ms "
       "FROM (SELECT 1) AS one LEFT JOIN history AS h ON true ORDER BY h.id"},
      // save_user_message for a batch (issue 15), one row of the arrays per request:
      // $1 conversation ids, $2 users, $3 contents, $4 history limits, $5 require_owner,
      // $6 now. Checked as above, each against the owner this statement inserted (the
      // batch's first request for a new id) or the one stored. The messages' ids are
      // drawn in the batch's order before the insert, so that each request learns its
      // own (RETURNING cannot say which input row a row came from). One row per history
      // message of each request (none: one row of NULLs), ordered by request: its
      // ordinal, its new id, its assessment, its conversation's owner, the message.
      {"save_user_messages",
       "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[]) "
       "WITH ORDINALITY AS t(conversation_id, user_id, content, history_limit, require_owner, n)), "
       "created AS (INSERT INTO conversations (id, user_id, created_at) "
       "SELECT DISTINCT ON (conversation_id) conversation_id, user_id, " DROVER_PG_TS("$6") " FROM input "
       "ORDER BY conversation_id, n ON CONFLICT (id) DO NOTHING RETURNING id, user_id), "
       "checked AS (SELECT i.*, COALESCE(c.user_id, s.user_id) AS owner, "
       "NOT i.require_owner OR COALESCE(COALESCE(c.user_id, s.user_id) = i.user_id, false) AS ok "
       "FROM input i LEFT JOIN created c ON c.id = i.conversation_id "
       "LEFT JOIN conversations s ON s.id = i.conversation_id), "
       "ids AS (SELECT n, conversation_id, content, nextval('messages_id_seq'::regclass) AS id "
       "FROM checked WHERE ok ORDER BY n), "
       "added AS (INSERT INTO messages (id, conversation_id, role, content, created_at) "
       "SELECT id, conversation_id, 'user', content, " DROVER_PG_TS("$6") " FROM ids ORDER BY n RETURNING id), "
       "history AS (SELECT k.n, h.id, h.conversation_id, h.role, h.content, h.job_id, "
       DROVER_PG_MS("h.created_at") " AS created_ms FROM checked k CROSS JOIN LATERAL "
       "(SELECT * FROM messages m WHERE m.conversation_id = k.conversation_id ORDER BY m.id DESC "
       "LIMIT k.history_limit) h WHERE k.ok) "
       "SELECT k.n, ids.id, (SELECT data::text FROM user_assessments a WHERE a.user_id = k.user_id AND k.ok), "
       "k.owner, h.id, h.conversation_id, h.role, h.content, h.job_id, h.created_ms "
       "FROM checked k LEFT JOIN ids ON ids.n = k.n LEFT JOIN history h ON h.n = k.n "
       "ORDER BY k.n, h.id"},
      {"conversation_owner", "SELECT user_id FROM conversations WHERE id = $1"},
      {"list_messages",
       "SELECT id, conversation_id, role, content, job_id, " DROVER_PG_MS("created_at") " FROM ("
       " SELECT * FROM messages WHERE conversation_id = $1 AND id < $3::bigint ORDER BY id DESC LIMIT $2::bigint"
       ") AS newest ORDER BY id ASC"},
      {"find_message_by_key",
       "SELECT id, conversation_id, role, content, job_id, " DROVER_PG_MS("created_at") " FROM messages "
       "WHERE idempotency_key = $1"},
      {"set_message_job",
       "UPDATE messages SET job_id = $2 WHERE id = $1::bigint AND (job_id IS NULL OR job_id = $3) RETURNING id"},
      {"recent_job_ids",
       "SELECT job_id FROM (SELECT job_id FROM messages WHERE job_id IS NOT NULL ORDER BY id DESC LIMIT $2::bigint) m "
       "UNION ALL SELECT job_id FROM (SELECT job_id FROM job_logs WHERE queue = $1 ORDER BY id DESC LIMIT $2::bigint) l"},
      {"put_assessment",
       "INSERT INTO user_assessments (user_id, data, updated_at) VALUES ($1, $2::jsonb, " DROVER_PG_TS("$3") ") "
       "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"},
      {"get_assessment", "SELECT data::text FROM user_assessments WHERE user_id = $1"},
      // $1 job_id $2 queue $3 job_type $4 user_id $5 status $6 payload $7 result
      // $8 error_message $9 error_stack $10 attempts (NULL keeps) $11 at_ms $12 rank
      // of $5. The WHERE of DO UPDATE is the no-going-backwards rule: a lower
      // rank, or the same rank but older than the stored row, leaves it alone.
      {"upsert_job_log",
       "INSERT INTO job_logs (job_id, queue, job_type, user_id, status, payload, result, error_message, "
       "error_stack, attempts, created_at, started_at, completed_at, updated_at) "
       "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, COALESCE($10::integer, 0), " DROVER_PG_TS("$11") ", "
       "CASE WHEN $5::text = 'processing' THEN " DROVER_PG_TS("$11") " END, "
       "CASE WHEN $5::text IN ('completed', 'failed') THEN " DROVER_PG_TS("$11") " END, " DROVER_PG_TS("$11") ") "
       "ON CONFLICT (queue, job_id) DO UPDATE SET "
       "job_type = CASE WHEN excluded.job_type = '' THEN job_logs.job_type ELSE excluded.job_type END, "
       "user_id = COALESCE(excluded.user_id, job_logs.user_id), "
       "status = excluded.status, "
       "payload = COALESCE(excluded.payload, job_logs.payload), "
       "result = COALESCE(excluded.result, job_logs.result), "
       "error_message = CASE WHEN excluded.status = 'completed' THEN excluded.error_message "
       "ELSE COALESCE(excluded.error_message, job_logs.error_message) END, "
       "error_stack = CASE WHEN excluded.status = 'completed' THEN excluded.error_stack "
       "ELSE COALESCE(excluded.error_stack, job_logs.error_stack) END, "
       "attempts = COALESCE($10::integer, job_logs.attempts), "
       "started_at = COALESCE(excluded.started_at, job_logs.started_at), "
       "completed_at = COALESCE(excluded.completed_at, job_logs.completed_at), "
       "updated_at = excluded.updated_at "
       "WHERE $12::integer > " DROVER_PG_RANK("job_logs.status") " OR ($12::integer = " DROVER_PG_RANK(
           "job_logs.status") " AND " DROVER_PG_TS("$11") " >= job_logs.updated_at)"},
      {"drop_earlier_job_log",
       "DELETE FROM job_logs WHERE queue = $1 AND job_id = $2 AND updated_at < " DROVER_PG_TS("$3")},
      {"add_document",
       "INSERT INTO documents (id, conversation_id, user_id, filename, content_type, size_bytes, content, job_id, "
       "status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', " DROVER_PG_TS("$9") ", "
       DROVER_PG_TS("$9") ")"},
      // Bytes of the text, not characters, and only those asked for.
      {"get_document",
       "SELECT id, conversation_id, filename, content_type, size_bytes, job_id, status, error, title, page_count, "
       "word_count, chunk_count, substring(convert_to(text, 'UTF8') from ($2::bigint + 1)::int for $3::int), "
       DROVER_PG_MS("created_at") ", " DROVER_PG_MS("updated_at") ", user_id, octet_length(text)::bigint "
       "FROM documents WHERE id = $1"},
      {"get_document_content", "SELECT content FROM documents WHERE id = $1"},
      {"user_document_usage",
       "SELECT COALESCE(SUM(size_bytes), 0)::bigint, COUNT(*) FILTER (WHERE status IN ('queued', 'processing') AND "
       "updated_at >= " DROVER_PG_TS("$2") ") FROM documents WHERE user_id = $1"},
      {"delete_document", "DELETE FROM documents WHERE id = $1 RETURNING 1"},
      {"set_document_status",
       "UPDATE documents SET status = $2, error = $3, updated_at = " DROVER_PG_TS("$4") " WHERE id = $1 RETURNING 1"},
      {"finish_document",
       "UPDATE documents SET status = 'ready', error = NULL, title = $2, page_count = $3::integer, "
       "word_count = $4::bigint, chunk_count = $5::integer, text = $6, updated_at = " DROVER_PG_TS("$7") " "
       "WHERE id = $1 RETURNING 1"},
      {"delete_document_chunks", "DELETE FROM document_chunks WHERE document_id = $1"},
      {"insert_document_chunk", "INSERT INTO document_chunks (document_id, seq, content) VALUES ($1, $2, $3)"},
      // $2 is a tsquery of words joined by | (any word matches); ts_rank orders.
      {"search_document_chunks",
       "SELECT c.document_id, COALESCE(d.title, d.filename), c.seq, c.content, "
       "ts_rank(c.tsv, to_tsquery('english', $2))::float8 AS score "
       "FROM document_chunks c JOIN documents d ON d.id = c.document_id "
       "WHERE d.conversation_id = $1 AND d.status = 'ready' AND c.tsv @@ to_tsquery('english', $2) "
       "ORDER BY score DESC, c.document_id, c.seq LIMIT $3::bigint"},
      {"get_job_log", std::string("SELECT ") + pg_job_log_columns + " FROM job_logs WHERE queue = $1 AND job_id = $2"},
      {"list_job_logs", std::string("SELECT ") + pg_job_log_columns + " FROM job_logs ORDER BY id DESC LIMIT $1::bigint"},
      {"list_job_logs_by_status", std::string("SELECT ") + pg_job_log_columns +
                                      " FROM job_logs WHERE status = $2 ORDER BY id DESC LIMIT $1::bigint"},
      {"unfinished_job_logs",
       std::string("SELECT ") + pg_job_log_columns +
           " FROM job_logs WHERE status IN ('pending', 'processing') AND queue = $1 ORDER BY id LIMIT $2::bigint"},
      {"put_event_stream_position",
       "INSERT INTO event_stream_positions (stream, last_id, updated_at) VALUES ($1, $2, " DROVER_PG_TS("$3") ") "
       "ON CONFLICT (stream) DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at"},
      {"get_event_stream_position", "SELECT last_id FROM event_stream_positions WHERE stream = $1"},
  };
  // clang-format on
  return all;
}

#undef DROVER_PG_TS
#undef DROVER_PG_MS
#undef DROVER_PG_RANK

// Serializes migrate() across processes (pg_advisory_xact_lock); "drvr".
constexpr std::int64_t migration_lock_key = 0x64727672;

// NULL as std::nullopt (pqxx 6's field::get needs a configure-time flag).
template <class T>
std::optional<T> optional_as(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

// libpq's messages end in newlines and sometimes hold several lines.
std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

// True when the server wrote to or closed a connection we left idle. It only does
// that to end it (shutdown, restart, idle_session_timeout: a FATAL message, then
// EOF), so the connection is replaced before use. Besides saving a failed
// statement, this avoids a leak in libpqxx 6.4: a statement that finds the
// connection broken loses its PGresult (make_result asks the dead connection for
// its encoding and throws before taking ownership).
bool closed_by_server(const pqxx::connection& c) {
  pollfd p{};
  p.fd = c.sock();
  if (p.fd < 0) return true;
  p.events = POLLIN;
  return ::poll(&p, 1, 0) != 0;  // readable, hung up, or an error: do not trust it
}

// The connections of one postgres_database. Calls from several threads (the API runs
// its database work on a pool of threads) each take a connection of their own instead
// of queueing behind one: a request's statements are round trips, and with a single
// connection they were serialised across all requests. A slot is connected lazily, so
// a single-threaded user never opens more than one; the most recently returned
// connection is taken first.
class connection_slots {
 public:
  static constexpr std::size_t size = 4;

  connection_slots() : idle_(size) {}

  // Waits up to `wait` for a free slot: its connection, null until first used, or
  // std::nullopt when none came free in time. Bounded because a caller is a request
  // with a deadline of its own, and statements stuck on a lock would otherwise queue
  // every later caller behind them without end.
  std::optional<std::unique_ptr<pqxx::connection>> take(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait, [this] { return !idle_.empty(); })) return std::nullopt;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }

  void give_back(std::unique_ptr<pqxx::connection> c) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(c));
    }
    freed_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mutex_
};

class postgres_database final : public database {
 public:
  explicit postgres_database(const std::string& url) : settings_(read_postgres_url(url)), redacted_(redact_url(url)) {
    run("connecting", [](pqxx::connection&) {});
  }

  std::string_view backend() const override { return "postgres"; }
  DROVER_APP_DATABASE_OPERATIONS
  std::optional<saved_user_message> save_user_message(const std::string& conversation_id, const std::string& user_id,
                                                      const std::string& content, std::size_t history_limit,
                                                      bool require_owner) override;
  std::vector<user_message_outcome> save_user_messages(const std::vector<user_message_to_save>& batch) override;

 private:
  // Runs f(connection) on a connection of its own, connecting first when needed, and turns
  // driver exceptions into database_error naming `what`. A lost connection is
  // dropped so that the next call reconnects. When a connection that had been
  // idle turns out dead (the server restarted meanwhile), f is retried once on a
  // fresh one: the failed transaction never committed, so this is safe; a loss
  // during COMMIT is pqxx::in_doubt_error and is never retried. `retry` false: f
  // writes outside a transaction, where a loss leaves the outcome unknown, so it is
  // never retried (the caller gets the error, as for a loss during COMMIT).
  template <class F>
  auto run(std::string_view what, F&& f, bool retry = true) -> decltype(f(std::declval<pqxx::connection&>()));

  std::optional<std::int64_t> insert_message(const std::optional<std::string>& idempotency_key,
                                             const std::string& conversation_id, const std::string& role,
                                             const std::string& content, const std::optional<std::string>& job_id);
  // One request of save_user_message(s) by the single statement.
  static std::optional<saved_user_message> save_one(pqxx::connection& c, const user_message_to_save& m);
  // The batch statement for batch[rows...]; fills out[rows...] and returns the rows
  // refused with no owner seen (a conversation created after the snapshot).
  static std::vector<std::size_t> save_rows(pqxx::connection& c, const std::vector<user_message_to_save>& batch,
                                            const std::vector<std::size_t>& rows,
                                            std::vector<user_message_outcome>& out);
  static job_log read_job_log(const pqxx::row& r);
  // Each update of `batch` within `tx`; names the one the database refuses.
  static void upsert_job_logs(pqxx::connection& c, pqxx::work& tx, const std::vector<job_log_update>& batch);

  postgres_settings settings_;  // the URL for libpq, the timeouts
  std::string redacted_;        // the URL as given, for messages
  connection_slots slots_;
};

template <class F>
auto postgres_database::run(std::string_view what, F&& f, bool retry)
    -> decltype(f(std::declval<pqxx::connection&>())) {
  auto taken = slots_.take(settings_.pool_timeout);
  if (!taken) {
    throw database_error(fmt::format("{}: no database connection free within {} ms (all {} busy; PostgreSQL {})", what,
                                     settings_.pool_timeout.count(), connection_slots::size, redacted_));
  }
  // The slot goes back when this call ends, however it ends; null after a loss.
  struct held {
    connection_slots& slots;
    std::unique_ptr<pqxx::connection> conn;
    ~held() { slots.give_back(std::move(conn)); }
  } slot{slots_, std::move(*taken)};
  auto& conn = slot.conn;
  for (int attempt = 1;; ++attempt) {
    if (conn && closed_by_server(*conn)) conn.reset();
    bool reused = conn != nullptr;
    try {
      if (!conn) {
        auto fresh = std::make_unique<pqxx::connection>(settings_.libpq_url);
        // Keeps NOTICEs ("relation already exists, skipping") off stderr.
        fresh->set_variable("client_min_messages", "WARNING");
        // Every statement here is prepared, keyed by ids, and planned alike whatever the
        // values; PostgreSQL still replans the CTE statements of the send at each call
        // (a custom plan: 0.22-0.30 ms of planning for the batch statement against 0.01
        // with the generic one, more than its execution). PostgreSQL 12 and later.
        if (fresh->server_version() >= 120000) fresh->set_variable("plan_cache_mode", "force_generic_plan");
        if (settings_.statement_timeout) {
          fresh->set_variable("statement_timeout", std::to_string(settings_.statement_timeout->count()));
        }
        for (const auto& s : statements()) fresh->prepare(s.name, s.sql);
        conn = std::move(fresh);
      }
      return f(*conn);
    } catch (const pqxx::in_doubt_error& e) {
      conn.reset();
      throw database_error(fmt::format("{}: connection lost during COMMIT, outcome unknown: {} (PostgreSQL {})", what,
                                       one_line(e.what()), redacted_));
    } catch (const pqxx::failure& e) {
      // A server going down may answer with a FATAL error (sql_error) rather than
      // a closed socket; either way the connection is gone when !is_open().
      bool broken = dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr || !conn || !conn->is_open();
      const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
      const std::string state = sql ? sql->sqlstate() : std::string();
      // Disk full, out of memory (class 53), a read-only standby after a failover (25006),
      // an I/O error (class 58): the database cannot write now, whatever is written.
      const bool unwritable = state.starts_with("53") || state == "25006" || state.starts_with("58");
      if (!broken && unwritable) {
        throw database_unwritable(fmt::format("{}: {} (PostgreSQL {})", what, one_line(e.what()), redacted_));
      }
      if (!broken) throw database_error(fmt::format("{}: {} (PostgreSQL {})", what, one_line(e.what()), redacted_));
      conn.reset();
      if (retry && reused && attempt == 1) continue;
      throw database_error(fmt::format("{}: cannot reach PostgreSQL {}: {}", what, redacted_, one_line(e.what())));
    } catch (const database_error&) {
      throw;
    } catch (const std::exception& e) {
      throw database_error(fmt::format("{}: {} (PostgreSQL {})", what, one_line(e.what()), redacted_));
    }
  }
}

std::vector<int> postgres_database::migrate() {
  return run("migrating", [](pqxx::connection& c) {
    // Migrations are exempt from statement_timeout: building an index over a large
    // table, or waiting for another process's migration lock, may take longer.
    {
      pqxx::work tx(c);
      tx.exec("SET LOCAL statement_timeout = 0");
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
      // Only when it is missing: CREATE TABLE IF NOT EXISTS needs CREATE on the schema
      // even when the table is there, and an app whose role may only read and write the
      // tables of a database migrated by its owner could not start.
      if (tx.exec("SELECT to_regclass('schema_migrations') IS NULL")[0][0].as<bool>()) {
        tx.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      }
      tx.commit();
    }
    std::vector<int> applied;
    for (const auto& m : migrations()) {
      // The advisory lock makes a second process wait here, then see the version.
      pqxx::work tx(c);
      tx.exec("SET LOCAL statement_timeout = 0");
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
      if (!tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version).empty()) continue;
      try {
        tx.exec(m.postgres_sql);
      } catch (const pqxx::sql_error& e) {
        if (!c.is_open()) throw;  // a lost connection: run() reconnects
        throw database_error(
            fmt::format("applying migration {} ({}): {}", m.version, m.description, one_line(e.what())));
      }
      tx.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)", m.version);
      tx.commit();
      applied.push_back(m.version);
    }
    pqxx::nontransaction read(c);
    warn_if_schema_is_newer(read.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0].as<int>());
    return applied;
  });
}

void postgres_database::ping() {
  run("ping", [](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("ping");
  });
}

void postgres_database::ensure_conversation(const std::string& id, const std::string& user_id) {
  // One idempotent statement: no BEGIN/COMMIT round trips, and a retry after a lost
  // connection is harmless.
  run(fmt::format("creating conversation '{}'", id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("ensure_conversation", id, user_id, now_ms());
  });
}

std::optional<std::int64_t> postgres_database::insert_message(const std::optional<std::string>& idempotency_key,
                                                              const std::string& conversation_id,
                                                              const std::string& role, const std::string& content,
                                                              const std::optional<std::string>& job_id) {
  return run(fmt::format("adding a message to conversation '{}'", conversation_id), [&](pqxx::connection& c) {
    // A transaction although it is one statement: a connection lost before COMMIT
    // means nothing was stored, so run() may retry it without a duplicate.
    pqxx::work tx(c);
    auto r = tx.exec_prepared("insert_message", conversation_id, role, content, job_id, idempotency_key, now_ms());
    tx.commit();
    return r.empty() ? std::nullopt : std::optional<std::int64_t>(r[0][0].as<std::int64_t>());
  });
}

std::int64_t postgres_database::add_message(const std::string& conversation_id, const std::string& role,
                                            const std::string& content, std::optional<std::string> job_id) {
  return *insert_message(std::nullopt, conversation_id, role, content, job_id);
}

std::optional<std::int64_t> postgres_database::add_message_once(const std::string& idempotency_key,
                                                                const std::string& conversation_id,
                                                                const std::string& role, const std::string& content,
                                                                std::optional<std::string> job_id) {
  return insert_message(idempotency_key, conversation_id, role, content, job_id);
}

std::vector<message> postgres_database::list_messages(const std::string& conversation_id, std::size_t limit,
                                                      std::optional<std::int64_t> before) {
  return run(fmt::format("listing the messages of conversation '{}'", conversation_id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<message> out;
    const auto below = before.value_or(no_message_after);
    for (const auto& row : tx.exec_prepared("list_messages", conversation_id, clamp_limit(limit), below)) {
      out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                     row[3].as<std::string>(), optional_as<std::string>(row[4]), row[5].as<std::int64_t>()});
    }
    return out;
  });
}

std::optional<message> postgres_database::find_message_by_key(const std::string& idempotency_key) {
  return run(fmt::format("reading the message of idempotency key '{}'", idempotency_key), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("find_message_by_key", idempotency_key);
    if (r.empty()) return std::optional<message>();
    const auto& row = r[0];
    return std::optional<message>(message{row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                                          row[3].as<std::string>(), optional_as<std::string>(row[4]),
                                          row[5].as<std::int64_t>()});
  });
}

// Idempotent (only a NULL is written), so run() may send it again after a lost connection.
bool postgres_database::set_message_job(std::int64_t message_id, const std::string& job_id,
                                        const std::optional<std::string>& replacing) {
  return run(fmt::format("recording job {} for message {}", job_id, message_id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return !tx.exec_prepared("set_message_job", message_id, job_id, replacing).empty();
  });
}

std::vector<std::string> postgres_database::recent_job_ids(const std::string& queue, std::size_t limit) {
  return run(fmt::format("reading the newest job ids of {}", queue), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<std::string> out;
    for (const auto& row : tx.exec_prepared("recent_job_ids", queue, clamp_limit(limit))) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  });
}

std::optional<std::string> postgres_database::conversation_owner(const std::string& id) {
  return run(fmt::format("reading the owner of conversation '{}'", id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("conversation_owner", id);
    return r.empty() ? std::nullopt : std::optional<std::string>(r[0][0].as<std::string>());
  });
}

// One row of a history read by either statement: columns first..first+5 are the
// message's id, conversation, role, content, job id and time; NULLs when there is none.
std::optional<message> history_message(const pqxx::row& row, int first) {
  if (row[first].is_null()) return std::nullopt;
  return message{
      row[first].as<std::int64_t>(),    row[first + 1].as<std::string>(),         row[first + 2].as<std::string>(),
      row[first + 3].as<std::string>(), optional_as<std::string>(row[first + 4]), row[first + 5].as<std::int64_t>()};
}

// A PostgreSQL array literal of the strings get(i) for i in rows: each element quoted,
// with its quotes and backslashes escaped, so that any text survives.
template <class Get>
std::string array_literal(const std::vector<std::size_t>& rows, Get get) {
  std::string out = "{";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (k) out += ',';
    out += '"';
    for (char ch : get(rows[k])) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// Errors in the data of one statement (class 22: a malformed text; 23: a constraint),
// which sending each request alone narrows down to the request at fault.
bool data_error(const pqxx::sql_error& e) {
  const auto& state = e.sqlstate();
  return state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0;
}

std::optional<saved_user_message> postgres_database::save_one(pqxx::connection& c, const user_message_to_save& m) {
  // One statement is atomic on its own: no BEGIN/COMMIT round trips (this is the hot
  // path of the API). Hence no retry by run(): a connection lost during it leaves
  // unknown whether the message was stored.
  pqxx::nontransaction tx(c);
  auto exec = [&] {
    return tx.exec_prepared("save_user_message", m.conversation_id, m.user_id, m.content, clamp_limit(m.history_limit),
                            now_ms(), m.require_owner);
  };
  auto rows = exec();
  // Refused with no owner seen: another user's statement created the conversation
  // after this one's snapshot. Nothing was written, and the second statement's
  // snapshot sees that row: refused again unless the winner was this same user (a
  // client sending twice at once).
  if (rows.at(0)[0].is_null() && rows.at(0)[2].is_null()) rows = exec();
  if (rows.at(0)[0].is_null()) return std::nullopt;
  saved_user_message out;
  out.message_id = rows.at(0)[0].as<std::int64_t>();
  out.assessment = optional_as<std::string>(rows.at(0)[1]);
  for (const auto& row : rows) {
    if (auto h = history_message(row, 3)) out.history.push_back(std::move(*h));
  }
  return out;
}

std::optional<saved_user_message> postgres_database::save_user_message(const std::string& conversation_id,
                                                                       const std::string& user_id,
                                                                       const std::string& content,
                                                                       std::size_t history_limit, bool require_owner) {
  user_message_to_save m{conversation_id, user_id, content, history_limit, require_owner};
  auto what = fmt::format("saving a message of user '{}' to conversation '{}'", user_id, conversation_id);
  return run(
      what, [&](pqxx::connection& c) { return save_one(c, m); }, false);
}

std::vector<std::size_t> postgres_database::save_rows(pqxx::connection& c,
                                                      const std::vector<user_message_to_save>& batch,
                                                      const std::vector<std::size_t>& rows,
                                                      std::vector<user_message_outcome>& out) {
  auto ids = array_literal(rows, [&](std::size_t i) -> const std::string& { return batch[i].conversation_id; });
  auto users = array_literal(rows, [&](std::size_t i) -> const std::string& { return batch[i].user_id; });
  auto contents = array_literal(rows, [&](std::size_t i) -> const std::string& { return batch[i].content; });
  std::string limits = "{", owners = "{";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    limits += (k ? "," : "") + std::to_string(clamp_limit(batch[rows[k]].history_limit));
    owners += (k ? "," : "") + std::string(batch[rows[k]].require_owner ? "t" : "f");
  }
  limits += '}';
  owners += '}';
  pqxx::nontransaction tx(c);
  auto result = tx.exec_prepared("save_user_messages", ids, users, contents, limits, owners, now_ms());
  std::vector<std::size_t> unseen;
  std::vector<bool> answered(rows.size(), false);
  for (const auto& row : result) {
    const auto k = row[0].as<std::size_t>() - 1;  // WITH ORDINALITY counts from 1
    auto& o = out.at(rows.at(k));
    if (!answered[k]) {
      answered[k] = true;
      if (row[1].is_null()) {
        if (row[3].is_null()) unseen.push_back(rows[k]);
        continue;
      }
      o.saved.emplace();
      o.saved->message_id = row[1].as<std::int64_t>();
      o.saved->assessment = optional_as<std::string>(row[2]);
    }
    if (!o.saved) continue;
    if (auto h = history_message(row, 4)) o.saved->history.push_back(std::move(*h));
  }
  return unseen;
}

std::vector<user_message_outcome> postgres_database::save_user_messages(
    const std::vector<user_message_to_save>& batch) {
  if (batch.size() == 1) {
    const auto& m = batch.front();
    return {user_message_outcome{
        save_user_message(m.conversation_id, m.user_id, m.content, m.history_limit, m.require_owner), nullptr}};
  }
  std::vector<user_message_outcome> out(batch.size());
  if (batch.empty()) return out;
  auto what = fmt::format("saving {} messages (the first of user '{}' to conversation '{}')", batch.size(),
                          batch.front().user_id, batch.front().conversation_id);
  run(
      what,
      [&](pqxx::connection& c) {
        std::vector<std::size_t> rows(batch.size());
        for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
        try {
          // As save_one: refused without an owner seen, the statement is sent again
          // for those requests, whose snapshot then sees who created the conversation.
          auto unseen = save_rows(c, batch, rows, out);
          if (!unseen.empty()) save_rows(c, batch, unseen, out);
          return;
        } catch (const pqxx::sql_error& e) {
          if (!c.is_open() || !data_error(e)) throw;
        }
        // The statement stored nothing (it is atomic): each request alone, so that
        // the one at fault fails and the others are saved.
        for (std::size_t i = 0; i < batch.size(); ++i) {
          try {
            out[i].saved = save_one(c, batch[i]);
          } catch (const pqxx::sql_error& e) {
            if (!c.is_open()) throw;
            out[i].error = std::make_exception_ptr(
                database_error(fmt::format("saving a message of user '{}' to conversation '{}': {} (PostgreSQL {})",
                                           batch[i].user_id, batch[i].conversation_id, one_line(e.what()), redacted_)));
          }
        }
      },
      false);
  return out;
}

void postgres_database::put_assessment(const std::string& user_id, const std::string& json) {
  run(fmt::format("storing the assessment of user '{}'", user_id), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_prepared("put_assessment", user_id, json, now_ms());
    tx.commit();
  });
}

std::optional<std::string> postgres_database::get_assessment(const std::string& user_id) {
  return run(fmt::format("reading the assessment of user '{}'", user_id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("get_assessment", user_id);
    return r.empty() ? std::nullopt : std::optional<std::string>(r[0][0].as<std::string>());
  });
}

void postgres_database::upsert_job_logs(pqxx::connection& c, pqxx::work& tx, const std::vector<job_log_update>& batch) {
  auto now = now_ms();
  for (const auto& u : batch) {
    try {
      if (u.begins) tx.exec_prepared("drop_earlier_job_log", u.queue, u.job_id, u.at_ms != 0 ? u.at_ms : now);
      tx.exec_prepared("upsert_job_log", u.job_id, u.queue, u.job_type, u.user_id, u.status, u.payload_json,
                       u.result_json, u.error_message, u.error_stack, u.attempts, u.at_ms != 0 ? u.at_ms : now,
                       job_status_rank(u.status));
    } catch (const pqxx::sql_error& e) {
      if (!c.is_open()) throw;  // a lost connection: run() reconnects
      // Name the update that failed; the whole batch is rolled back.
      throw database_error(fmt::format("recording job log {}/{} as {} (batch of {} rolled back): {}", u.queue, u.job_id,
                                       u.status, batch.size(), one_line(e.what())));
    }
  }
}

void postgres_database::record_job_logs(const std::vector<job_log_update>& batch) {
  check_job_log_batch(batch);
  if (batch.empty()) return;
  run(fmt::format("recording {} job log update(s)", batch.size()), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    upsert_job_logs(c, tx, batch);
    tx.commit();
  });
}

void postgres_database::record_job_logs_at(const std::vector<job_log_update>& batch, const std::string& stream,
                                           const std::string& position) {
  check_job_log_batch(batch);
  auto what = fmt::format("recording {} job log update(s) up to {} of {}", batch.size(), position, stream);
  run(what, [&](pqxx::connection& c) {
    pqxx::work tx(c);
    upsert_job_logs(c, tx, batch);
    tx.exec_prepared("put_event_stream_position", stream, position, now_ms());
    tx.commit();
  });
}

std::optional<std::string> postgres_database::event_stream_position(const std::string& stream) {
  return run(fmt::format("reading the position in {}", stream), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("get_event_stream_position", stream);
    return r.empty() ? std::nullopt : std::optional<std::string>(r[0][0].as<std::string>());
  });
}

std::vector<job_log> postgres_database::unfinished_job_logs(const std::string& queue, std::size_t limit) {
  return run(fmt::format("listing the unfinished job logs of {}", queue), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<job_log> out;
    for (const auto& row : tx.exec_prepared("unfinished_job_logs", queue, clamp_limit(limit))) {
      out.push_back(read_job_log(row));
    }
    return out;
  });
}

job_log postgres_database::read_job_log(const pqxx::row& r) {
  job_log j;
  j.id = r[0].as<std::int64_t>();
  j.queue = r[1].as<std::string>();
  j.job_id = r[2].as<std::string>();
  j.job_type = r[3].as<std::string>();
  j.status = r[4].as<std::string>();
  j.user_id = optional_as<std::string>(r[5]);
  j.payload_json = optional_as<std::string>(r[6]);
  j.result_json = optional_as<std::string>(r[7]);
  j.error_message = optional_as<std::string>(r[8]);
  j.error_stack = optional_as<std::string>(r[9]);
  j.attempts = r[10].as<int>();
  j.created_at_ms = r[11].as<std::int64_t>();
  j.started_at_ms = optional_as<std::int64_t>(r[12]);
  j.completed_at_ms = optional_as<std::int64_t>(r[13]);
  j.updated_at_ms = r[14].as<std::int64_t>();
  return j;
}

std::optional<job_log> postgres_database::get_job_log(const std::string& queue, const std::string& job_id) {
  return run(fmt::format("reading job log {}/{}", queue, job_id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("get_job_log", queue, job_id);
    return r.empty() ? std::nullopt : std::optional<job_log>(read_job_log(r[0]));
  });
}

std::vector<job_log> postgres_database::list_job_logs(std::optional<std::string> status, std::size_t limit) {
  return run("listing job logs", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = status ? tx.exec_prepared("list_job_logs_by_status", clamp_limit(limit), *status)
                    : tx.exec_prepared("list_job_logs", clamp_limit(limit));
    std::vector<job_log> out;
    for (const auto& row : r) out.push_back(read_job_log(row));
    return out;
  });
}

void postgres_database::add_document(const document& doc, const std::string& content) {
  run(fmt::format("storing document '{}'", doc.id), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::binarystring bytes(content);
    tx.exec_prepared("add_document", doc.id, doc.conversation_id, doc.user_id, doc.filename, doc.content_type,
                     doc.size_bytes, bytes, doc.job_id, now_ms());
    tx.commit();
  });
}

std::optional<document> postgres_database::get_document(const std::string& id, text_slice slice) {
  return run(fmt::format("reading document '{}'", id), [&](pqxx::connection& c) -> std::optional<document> {
    pqxx::nontransaction tx(c);
    const std::int64_t bytes = slice.bytes < 0 ? std::numeric_limits<std::int32_t>::max() : slice.bytes;
    auto r = tx.exec_prepared("get_document", id, slice.from, bytes);
    if (r.empty()) return std::nullopt;
    const auto& row = r[0];
    document d;
    d.id = row[0].as<std::string>();
    d.conversation_id = optional_as<std::string>(row[1]);
    d.filename = row[2].as<std::string>();
    d.content_type = row[3].as<std::string>();
    d.size_bytes = row[4].as<std::int64_t>();
    d.job_id = row[5].as<std::string>();
    d.status = row[6].as<std::string>();
    d.error = optional_as<std::string>(row[7]);
    d.title = optional_as<std::string>(row[8]);
    d.page_count = optional_as<int>(row[9]);
    d.word_count = optional_as<std::int64_t>(row[10]);
    d.chunk_count = optional_as<int>(row[11]);
    d.text_bytes = optional_as<std::int64_t>(row[16]);
    if (d.text_bytes) {
      d.text = row[12].is_null() ? std::string() : pqxx::binarystring(row[12]).str();
      d.text_from = std::min(slice.from, *d.text_bytes);
    }
    d.created_at_ms = row[13].as<std::int64_t>();
    d.updated_at_ms = row[14].as<std::int64_t>();
    d.user_id = optional_as<std::string>(row[15]);
    return d;
  });
}

std::optional<std::string> postgres_database::get_document_content(const std::string& id) {
  return run(fmt::format("reading the upload of document '{}'", id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("get_document_content", id);
    if (r.empty()) return std::optional<std::string>();
    if (r[0][0].is_null()) return std::optional<std::string>(std::string());
    return std::optional<std::string>(pqxx::binarystring(r[0][0]).str());
  });
}

database::document_usage postgres_database::user_document_usage(const std::string& user_id,
                                                                std::int64_t unfinished_since_ms) {
  return run(fmt::format("summing the uploads of user '{}'", user_id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto row = tx.exec_prepared("user_document_usage", user_id, unfinished_since_ms)[0];
    return document_usage{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
  });
}

bool postgres_database::delete_document(const std::string& id) {
  // The chunks go with it (ON DELETE CASCADE).
  return run(fmt::format("deleting document '{}'", id), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_prepared("delete_document", id);
    tx.commit();
    return !r.empty();
  });
}

bool postgres_database::set_document_status(const std::string& id, const std::string& status,
                                            std::optional<std::string> error) {
  check_document_status(status);
  return run(fmt::format("marking document '{}' {}", id, status), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_prepared("set_document_status", id, status, error, now_ms());
    tx.commit();
    return !r.empty();
  });
}

bool postgres_database::store_document_extraction(const std::string& id, const document_extraction& x) {
  auto what = fmt::format("storing the text and {} chunk(s) of document '{}'", x.chunks.size(), id);
  return run(what, [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_prepared("finish_document", id, x.title, x.page_count, x.word_count,
                              static_cast<int>(x.chunks.size()), x.text, now_ms());
    if (r.empty()) return false;
    // A retry replaces what an earlier attempt stored.
    tx.exec_prepared("delete_document_chunks", id);
    for (std::size_t i = 0; i < x.chunks.size(); ++i) {
      tx.exec_prepared("insert_document_chunk", id, static_cast<int>(i), x.chunks[i]);
    }
    tx.commit();
    return true;
  });
}

std::vector<chunk_match> postgres_database::search_document_chunks(const std::string& conversation_id,
                                                                   const std::string& query, std::size_t limit) {
  std::vector<chunk_match> out;
  auto words = search_words(query);
  if (words.empty() || limit == 0) return out;
  // Only letters and digits reach to_tsquery (search_words); each is quoted as well, so
  // that a character the parser reads as a space inside one cannot leave two words
  // without an operator between them (a syntax error).
  std::string tsquery;
  for (const auto& w : words) {
    if (!tsquery.empty()) tsquery += " | ";
    tsquery += '\'';
    tsquery += w;
    tsquery += '\'';
  }
  return run(fmt::format("searching the documents of conversation '{}'", conversation_id), [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    for (const auto& row : tx.exec_prepared("search_document_chunks", conversation_id, tsquery, clamp_limit(limit))) {
      out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int>(), row[3].as<std::string>(),
                     row[4].as<double>()});
    }
    return out;
  });
}

}  // namespace

std::unique_ptr<database> open_postgres(const std::string& url) { return std::make_unique<postgres_database>(url); }

}  // namespace drover::app::detail
