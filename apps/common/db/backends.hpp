// backends.hpp - the two implementations of drover::app::database, made by
// open_database() once it has parsed the URL.
#pragma once

#include <memory>
#include <string>

#include <drover_app/db/database.hpp>

namespace drover::app::detail {

// `path` is a file path (its directory is created) or ":memory:".
std::unique_ptr<database> open_sqlite(const std::string& path);

// `url` is a postgres:// or postgresql:// URI as libpq reads it.
std::unique_ptr<database> open_postgres(const std::string& url);

}  // namespace drover::app::detail
