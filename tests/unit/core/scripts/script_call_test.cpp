// script_call_test.cpp - the helpers the script wrappers share.
#include "core/scripts/script_call.hpp"

#include "packing.hpp"

namespace drover::detail::scripts {
namespace {

TEST(expect_code, passes_non_negative_codes) {
  EXPECT_EQ(expect_code(test::int_reply(3), lua::update_progress, "1"), 3);
  EXPECT_EQ(expect_code(test::str_reply("0"), lua::update_progress, "1"), 0);
}

TEST(expect_code, names_job_and_script_for_a_negative_code) {
  try {
    expect_code(test::int_reply(-1), lua::update_progress, "42");
    ADD_FAILURE() << "no error";
  } catch (const error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("42"), std::string::npos) << what;
    EXPECT_NE(what.find("updateProgress"), std::string::npos) << what;
  }
}

TEST(expect_code, a_reply_that_is_no_number_is_a_protocol_error) {
  try {
    expect_code(test::str_reply("OK"), lua::update_progress, "42");
    ADD_FAILURE() << "no error";
  } catch (const error& e) {
    EXPECT_TRUE(e.is(errc::protocol_error)) << e.what();
  }
}

TEST(flag, is_one_or_zero) {
  EXPECT_EQ(flag(true), "1");
  EXPECT_EQ(flag(false), "0");
}

}  // namespace
}  // namespace drover::detail::scripts
