// add_standard_job_lean_test.cpp - drover's lean add: BullMQ's keys and arguments, then
// the options' JSON only when the producer's half of the common case holds.
#include "core/scripts/add_standard_job_lean.hpp"

#include "add_args.hpp"
#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

using test::expect_packed;
using test::keys;

add_job_args lean_args() {
  auto a = test::an_add(1764900000123);
  a.opts_json = R"({"attempts":0})";
  return a;
}

std::vector<std::string> expected(std::string json, std::string custom_id = "", std::string lifo = "0") {
  return {"bull:q:wait",   "bull:q:paused", "bull:q:meta",        "bull:q:id", "bull:q:completed", "bull:q:delayed",
          "bull:q:active", "bull:q:events", "bull:q:marker",      "<argv1>",   R"({"x":1})",       "<opts>",
          std::move(json), "bull:q:",       std::move(custom_id), "send",      "1764900000123",    std::move(lifo)};
}

TEST(add_standard_job_lean, a_plain_job_sends_its_options_json_and_plain_fields) {
  auto call = pack_add(keys(), lean_args(), 0, 0, standard_add::lean);
  ASSERT_EQ(call.args.size(), 18u);
  call.args[9] = "<argv1>";
  expect_packed(call, lua::add_standard_job_lean, 9, expected(R"({"attempts":0})"));
}

TEST(add_standard_job_lean, sends_the_custom_id_and_lifo) {
  auto a = lean_args();
  a.custom_id = "mine";
  a.lifo = true;
  auto call = pack_add(keys(), std::move(a), 0, 0, standard_add::lean);
  call.args[9] = "<argv1>";
  expect_packed(call, lua::add_standard_job_lean, 9, expected(R"({"attempts":0})", "mine", "1"));
}

TEST(add_standard_job_lean, leaves_an_uncommon_add_to_bullmqs_script_inside) {
  auto no_json = lean_args();
  no_json.opts_json.reset();
  auto deduplicated = lean_args();
  deduplicated.deduplication_key = "bull:q:de:d";
  auto child = lean_args();
  child.parent_key = "bull:p:1";
  child.parent_dependencies_key = "bull:p:1:dependencies";
  for (auto* a : {&no_json, &deduplicated, &child}) {
    auto call = pack_add(keys(), std::move(*a), 0, 0, standard_add::lean);
    EXPECT_EQ(call.script, &lua::add_standard_job_lean);
    EXPECT_EQ(call.args.at(12), "");
  }
  // A negative delay is stored as it is, which only BullMQ's script writes.
  auto call = pack_add(keys(), lean_args(), -5, 0, standard_add::lean);
  EXPECT_EQ(call.args.at(12), "");
}

TEST(add_standard_job_lean, delayed_and_prioritized_adds_keep_bullmqs_scripts) {
  EXPECT_EQ(pack_add(keys(), lean_args(), 10, 0, standard_add::lean).script, &lua::add_delayed_job);
  EXPECT_EQ(pack_add(keys(), lean_args(), 0, 2, standard_add::lean).script, &lua::add_prioritized_job);
  EXPECT_EQ(pack_add(keys(), lean_args(), 0, 0).script, &lua::add_standard_job);
}

}  // namespace
}  // namespace drover::detail::scripts
