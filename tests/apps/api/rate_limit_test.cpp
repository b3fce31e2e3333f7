// rate_limit_test.cpp - the RATE_LIMIT_* setting's syntax: a table of texts and what they mean.
#include <gtest/gtest.h>

#include <stdexcept>

#include "api/rate_limit.hpp"

using drover::api::rate_limit;

TEST(RateLimit, ParsesCountUnitAndBurst) {
  struct row {
    const char* text;
    double per_second;
    std::int64_t burst;
    const char* described;
  };
  const row rows[] = {
      {"2/s,10", 2, 10, "2/s,10"},       {"30/m,5", 0.5, 5, "30/m,5"}, {"60/h,1", 60.0 / 3600, 1, "1/m,1"},
      {"6/h,2", 6.0 / 3600, 2, "6/h,2"}, {"0", 0, 0, "off"},           {"off", 0, 0, "off"},
  };
  for (const auto& r : rows) {
    auto l = rate_limit::parse("RATE_LIMIT_TEST", r.text);
    EXPECT_DOUBLE_EQ(l.per_second, r.per_second) << r.text;
    EXPECT_EQ(l.burst, r.burst) << r.text;
    EXPECT_EQ(l.describe(), r.described) << r.text;
  }
}

TEST(RateLimit, RefusesWhatItCannotReadNamingTheSetting) {
  // "0/s,10" is refused, not read as "off": a protection is switched off only by saying so.
  for (const char* bad : {"", "2", "2/s", "2/d,10", "-1/s,10", "2/s,0", "0/s,10", "two/s,10", "2/s,10,3", "1e3/s,1"}) {
    try {
      rate_limit::parse("RATE_LIMIT_TEST", bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("RATE_LIMIT_TEST"), std::string::npos) << e.what();
    }
  }
}
