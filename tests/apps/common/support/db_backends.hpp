// db_backends.hpp - the two database backends a contract test runs against, as a
// GoogleTest parameter with readable names ("sqlite", "postgres").
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace drover::test {

enum class backend_kind { sqlite, postgres };

inline const char* to_string(backend_kind kind) { return kind == backend_kind::sqlite ? "sqlite" : "postgres"; }

inline std::string backend_name(const testing::TestParamInfo<backend_kind>& info) { return to_string(info.param); }

inline void PrintTo(backend_kind kind, std::ostream* os) { *os << to_string(kind); }

}  // namespace drover::test
