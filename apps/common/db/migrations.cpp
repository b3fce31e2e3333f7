// migrations.cpp - the migrations themselves. Version 1 is the chat system's
// schema plus job_logs (the seed's table, keyed by queue and job id); version 2
// adds documents; version 3 records who uploaded each document; version 4 keeps the
// event relay's stream positions; version 5 indexes documents by uploader.
#include "db/migrations.hpp"

#include <spdlog/spdlog.h>

#include <array>

namespace drover::app::detail {

namespace {

// SQLite has no clock default in milliseconds before 3.42 (unixepoch('subsec')),
// so the defaults compute it from julianday. The C++ code always passes times
// explicitly; the defaults serve hand-written inserts.
#define DROVER_SQLITE_NOW_MS "(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"

constexpr const char* sqlite_v1 = R"sql(
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content TEXT NOT NULL,
  job_id TEXT,
  idempotency_key TEXT UNIQUE,
  created_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(
);
CREATE INDEX idx_messages_conversation_id ON messages(conversation_id, id);
CREATE TABLE user_assessments (
  user_id TEXT PRIMARY KEY,
  data TEXT NOT NULL CHECK (json_valid(data)),
  updated_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(
);
CREATE TABLE job_logs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  job_type TEXT NOT NULL,
  user_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  payload TEXT CHECK (payload IS NULL OR json_valid(payload)),
  result TEXT CHECK (result IS NULL OR json_valid(result)),
  error_message TEXT,
  error_stack TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(,
  started_at INTEGER,
  completed_at INTEGER,
  updated_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(,
  UNIQUE (queue, job_id)
);
CREATE INDEX idx_job_logs_status ON job_logs(status);
CREATE INDEX idx_job_logs_user_id ON job_logs(user_id);
)sql";

// Version 2: uploaded documents and their chunks. The upload's bytes live in the row
// (BLOB/BYTEA) so that API and workers on different machines share them through the
// database; chunks get a full-text index: an FTS5 table over document_chunks kept in
// step by triggers (SQLite), a generated tsvector column with a GIN index (PostgreSQL).
constexpr const char* sqlite_v2 = R"sql(
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  conversation_id TEXT,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  content BLOB,
  job_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  error TEXT,
  title TEXT,
  page_count INTEGER,
  word_count INTEGER,
  chunk_count INTEGER,
  text TEXT,
  created_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(,
  updated_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(
);
CREATE INDEX idx_documents_conversation_id ON documents(conversation_id);
CREATE TABLE document_chunks (
  id INTEGER PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  content TEXT NOT NULL,
  UNIQUE (document_id, seq)
);
CREATE VIRTUAL TABLE document_chunks_fts USING fts5(content, content='document_chunks', content_rowid='id',
                                                     tokenize='porter unicode61');
CREATE TRIGGER document_chunks_ai AFTER INSERT ON document_chunks BEGIN
  INSERT INTO document_chunks_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER document_chunks_ad AFTER DELETE ON document_chunks BEGIN
  INSERT INTO document_chunks_fts (document_chunks_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
)sql";

// Version 3: who uploaded each document, so that an upload outside any conversation
// has an owner too. Earlier rows keep NULL: their uploader was never recorded, and
// guessing it from the conversation would state what nobody knows. No index: the
// owner is read with the row, by its primary key, and nothing lists by owner yet.
constexpr const char* sqlite_v3 = R"sql(
ALTER TABLE documents ADD COLUMN user_id TEXT;
)sql";

// Version 4: where each API's event relay stands in a queue's events stream, written in
// the same transaction as the job_logs updates it made from the events before it, so
// that a restarted relay resumes there and loses none.
constexpr const char* sqlite_v4 = R"sql(
CREATE TABLE event_stream_positions (
  stream TEXT PRIMARY KEY,
  last_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL DEFAULT )sql" DROVER_SQLITE_NOW_MS R"sql(
);
)sql";

// Version 5: an index on who uploaded each document, for the per-user storage quota
// (DOCUMENT_QUOTA_BYTES sums a user's uploads at each upload).
constexpr const char* sqlite_v5 = R"sql(
CREATE INDEX idx_documents_user_id ON documents(user_id);
)sql";

// Titles stored before extraction cut them (documents/text_cleanup.hpp, max_title_bytes):
// one was sent whole with every read of its document. 255 characters here, at most 255
// bytes for what is stored from now on.
constexpr const char* sqlite_v6 = R"sql(
UPDATE documents SET title = substr(title, 1, 255) WHERE length(title) > 255;
)sql";

#undef DROVER_SQLITE_NOW_MS

constexpr const char* postgres_v1 = R"sql(
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE messages (
  id BIGSERIAL PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content TEXT NOT NULL,
  job_id TEXT,
  idempotency_key TEXT UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_messages_conversation_id ON messages(conversation_id, id);
CREATE TABLE user_assessments (
  user_id TEXT PRIMARY KEY,
  data JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE job_logs (
  id BIGSERIAL PRIMARY KEY,
  job_id TEXT NOT NULL,
  queue TEXT NOT NULL,
  job_type TEXT NOT NULL,
  user_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  payload JSONB,
  result JSONB,
  error_message TEXT,
  error_stack TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (queue, job_id)
);
CREATE INDEX idx_job_logs_status ON job_logs(status);
CREATE INDEX idx_job_logs_user_id ON job_logs(user_id);
)sql";

constexpr const char* postgres_v2 = R"sql(
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  conversation_id TEXT,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  content BYTEA,
  job_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  error TEXT,
  title TEXT,
  page_count INTEGER,
  word_count BIGINT,
  chunk_count INTEGER,
  text TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_documents_conversation_id ON documents(conversation_id);
CREATE TABLE document_chunks (
  id BIGSERIAL PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  content TEXT NOT NULL,
  tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  UNIQUE (document_id, seq)
);
CREATE INDEX idx_document_chunks_tsv ON document_chunks USING GIN (tsv);
)sql";

constexpr const char* postgres_v3 = R"sql(
ALTER TABLE documents ADD COLUMN user_id TEXT;
)sql";

constexpr const char* postgres_v4 = R"sql(
CREATE TABLE event_stream_positions (
  stream TEXT PRIMARY KEY,
  last_id TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

constexpr const char* postgres_v5 = R"sql(
CREATE INDEX idx_documents_user_id ON documents (user_id);
)sql";

constexpr const char* postgres_v6 = R"sql(
UPDATE documents SET title = left(title, 255) WHERE length(title) > 255;
)sql";

constexpr std::array all = {
    migration{1, "conversations, messages, user_assessments, job_logs", sqlite_v1, postgres_v1},
    migration{2, "documents, document_chunks with a full-text index", sqlite_v2, postgres_v2},
    migration{3, "documents.user_id, who uploaded each document", sqlite_v3, postgres_v3},
    migration{4, "event_stream_positions, where the job_logs relay resumes", sqlite_v4, postgres_v4},
    migration{5, "an index on documents.user_id, for the storage quota", sqlite_v5, postgres_v5},
    migration{6, "documents.title cut to 255 characters", sqlite_v6, postgres_v6},
};

}  // namespace

std::span<const migration> migrations() { return all; }

void warn_if_schema_is_newer(int newest_applied) {
  const int known = all.back().version;
  if (newest_applied <= known) return;
  spdlog::warn(
      "database: its schema is at version {}, newer than this drover's latest ({}): a newer drover migrated it; "
      "run that version, or check its release notes before running this one",
      newest_applied, known);
}

}  // namespace drover::app::detail
