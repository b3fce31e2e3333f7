// random_id_test.cpp - ids are URL-safe, the reference's length, and do not repeat.
#include "api/socketio/random_id.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

namespace drover::api::socketio {
namespace {

TEST(random_id, is_twenty_url_safe_characters_and_unique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const auto id = random_id();
    ASSERT_EQ(id.size(), 20u);
    for (char c : id) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << id;
    ASSERT_TRUE(seen.insert(id).second) << "repeated: " << id;
  }
}

}  // namespace
}  // namespace drover::api::socketio
