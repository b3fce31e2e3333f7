// migrations.cpp - the migrations themselves. Version 1 is the chat system's
// schema plus job_logs (the seed's table, keyed by queue and job id).
#include "db/migrations.hpp"

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

constexpr std::array all = {
    migration{1, "conversations, messages, user_assessments, job_logs", sqlite_v1, postgres_v1},
};

}  // namespace

std::span<const migration> migrations() { return all; }

}  // namespace drover::app::detail
