// postgres_settings.hpp - what drover reads from and adds to a PostgreSQL URL before
// libpq sees it: timeouts, TCP keepalives, and the wait for a pooled connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace drover::app::detail {

struct postgres_settings {
  // The URL handed to libpq: drover's own parameters removed, and connect_timeout=10,
  // keepalives=1, keepalives_idle=30, keepalives_interval=10 and keepalives_count=3
  // added unless given. Without keepalives a server that vanishes (a cut network, a
  // crashed host) leaves a call blocked until the kernel gives up, hours later; with
  // them the socket fails after about 60 s of silence.
  std::string libpq_url;
  // SET statement_timeout on every connection (URL: statement_timeout=<ms>, 0 for
  // none); std::nullopt when the URL sets it through libpq's `options` itself. A hung
  // statement (a lock never released) then fails instead of holding its connection.
  std::optional<std::chrono::milliseconds> statement_timeout = std::chrono::milliseconds(5000);
  // The longest a call waits for a free pooled connection when all are busy before it
  // fails (URL: pool_timeout=<ms>; 0 fails at once).
  std::chrono::milliseconds pool_timeout{5000};
};

// Reads a postgres:// or postgresql:// URL. Throws std::invalid_argument when
// statement_timeout or pool_timeout is not a number of milliseconds.
postgres_settings read_postgres_url(const std::string& url);

}  // namespace drover::app::detail
