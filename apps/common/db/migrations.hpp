// migrations.hpp - the versioned schema of the apps' database, one list for both
// backends.
#pragma once

#include <span>

namespace drover::app::detail {

// One schema change, written twice: SQLite stores timestamps as integer
// milliseconds since the epoch and JSON as checked TEXT; PostgreSQL uses
// TIMESTAMPTZ and JSONB. Each script may hold several statements.
struct migration {
  int version;
  const char* description;
  const char* sqlite_sql;
  const char* postgres_sql;
};

// Every migration, in ascending version order. Append new ones; never edit one
// that has shipped (databases record only the version they applied).
std::span<const migration> migrations();

// Says in the log when the database holds a schema version newer than this build knows
// (a newer drover migrated it, and this one was rolled back or started beside it): this
// build does not refuse to run, as newer migrations only add, but what it reads and
// writes may not be all the schema expects.
void warn_if_schema_is_newer(int newest_applied);

}  // namespace drover::app::detail
