// random_token_test.cpp - random_hex: length, alphabet, and no repeats.
#include <gtest/gtest.h>

#include <set>

#include <drover_app/random_token.hpp>

namespace drover::app {
namespace {

TEST(random_token, is_lower_case_hex_of_twice_the_bytes) {
  for (std::size_t n : {0u, 1u, 16u, 33u}) {
    auto s = random_hex(n);
    EXPECT_EQ(s.size(), 2 * n);
    EXPECT_EQ(s.find_first_not_of("0123456789abcdef"), std::string::npos) << s;
  }
}

TEST(random_token, does_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(random_hex(16)).second);
}

}  // namespace
}  // namespace drover::app
