// postgres_settings_test.cpp - what drover takes off and adds to a PostgreSQL URL.
#include "db/postgres_settings.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace drover::app::detail {
namespace {

constexpr const char* libpq_defaults =
    "connect_timeout=10&keepalives=1&keepalives_idle=30&keepalives_interval=10&keepalives_count=3";

TEST(postgres_settings, reads_and_adds_parameters) {
  struct row {
    const char* url;
    const char* libpq_url;
    long long statement_timeout_ms;  // -1: left to libpq's options
    long long pool_timeout_ms;
  };
  const std::string d = libpq_defaults;
  const row rows[] = {
      {"postgres://h/db", "postgres://h/db?", 5000, 5000},
      {"postgres://h/db?statement_timeout=250&pool_timeout=0", "postgres://h/db?", 250, 0},
      {"postgres://h/db?sslmode=disable&statement_timeout=0", "postgres://h/db?sslmode=disable&", 0, 5000},
      {"postgres://h/db?keepalives_idle=45&connect_timeout=2", "postgres://h/db?keepalives_idle=45&connect_timeout=2&",
       5000, 5000},
      {"postgres://h/db?options=-c%20statement_timeout%3D100", "postgres://h/db?options=-c%20statement_timeout%3D100&",
       -1, 5000},
  };
  for (const auto& r : rows) {
    auto s = read_postgres_url(r.url);
    std::string expected = r.libpq_url;
    if (std::string(r.url).find("keepalives_idle=45") != std::string::npos) {
      expected += "keepalives=1&keepalives_interval=10&keepalives_count=3";
    } else {
      expected += d;
    }
    EXPECT_EQ(s.libpq_url, expected) << r.url;
    if (r.statement_timeout_ms < 0) {
      EXPECT_FALSE(s.statement_timeout.has_value()) << r.url;
    } else {
      ASSERT_TRUE(s.statement_timeout.has_value()) << r.url;
      EXPECT_EQ(s.statement_timeout->count(), r.statement_timeout_ms) << r.url;
    }
    EXPECT_EQ(s.pool_timeout.count(), r.pool_timeout_ms) << r.url;
  }
}

// A database review: libpq ended the user info at the first '@', so the rest of a
// password with an '@' became the host name its error printed. The last one ends it.
TEST(postgres_settings, an_unescaped_at_in_the_password_stays_in_the_password) {
  const std::string d = libpq_defaults;
  EXPECT_EQ(read_postgres_url("postgres://app:Tr0ub@dor&3xyz@127.0.0.1:5432/db").libpq_url,
            "postgres://app:Tr0ub%40dor&3xyz@127.0.0.1:5432/db?" + d);
  EXPECT_EQ(read_postgres_url("postgres://app:pw@h/db?application_name=a@b").libpq_url,
            "postgres://app:pw@h/db?application_name=a@b&" + d);
  EXPECT_EQ(read_postgres_url("postgres://h/db").libpq_url, "postgres://h/db?" + d);
  EXPECT_EQ(read_postgres_url("postgres://app:p%40w@h").libpq_url, "postgres://app:p%40w@h?" + d);
}

TEST(postgres_settings, refuses_a_timeout_that_is_not_milliseconds) {
  EXPECT_THROW(read_postgres_url("postgres://h/db?statement_timeout=5s"), std::invalid_argument);
  EXPECT_THROW(read_postgres_url("postgres://h/db?pool_timeout=-1"), std::invalid_argument);
}

}  // namespace
}  // namespace drover::app::detail
