// update_data_test.cpp - updateData's key and argument.
#include "core/scripts/update_data.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

TEST(update_data, packs_the_job_hash_and_the_data) {
  auto call = update_data::of(keys(), "9", R"({"a":1})").pack();
  expect_packed(call, lua::update_data, 1, {"bull:q:9", R"({"a":1})"});
}

}  // namespace
}  // namespace drover::detail::scripts
