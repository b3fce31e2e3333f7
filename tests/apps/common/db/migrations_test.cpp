// migrations_test.cpp - the migration list is well formed (migrations.cpp).
#include "db/migrations.hpp"

#include <gtest/gtest.h>

#include <string>

namespace drover::app::detail {
namespace {

TEST(migrations, versions_ascend_from_one_and_both_backends_have_sql) {
  int expected = 1;
  for (const auto& m : migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(std::string(m.description).empty());
    EXPECT_FALSE(std::string(m.sqlite_sql).empty()) << m.version;
    EXPECT_FALSE(std::string(m.postgres_sql).empty()) << m.version;
  }
  EXPECT_GE(expected, 2);
}

}  // namespace
}  // namespace drover::app::detail
