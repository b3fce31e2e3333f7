// flag_checks_test.cpp - the shared flag checks: what they accept, and the one phrase
// they say for what they refuse ("--concurrency: must be a positive integer, got 0"),
// both alone and as CLI11 reports them for a flag.
#include "flag_checks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <drover/error.hpp>

namespace drover::cli {
namespace {

// What the check says of `input`: "" when it accepts it.
std::string verdict(const CLI::Validator& check, std::string input) { return check(input); }

struct integer_case {
  const char* name;
  CLI::Validator check;
  const char* input;
  const char* said;  // "" : accepted
};

TEST(flag_checks, integers_say_what_was_wanted_and_what_was_given) {
  const std::vector<integer_case> cases{
      {"positive 1", positive<int>(), "1", ""},
      {"positive max", positive<int>(), "2147483647", ""},
      {"positive 0", positive<int>(), "0", "must be a positive integer, got 0"},
      {"positive -3", positive<int>(), "-3", "must be a positive integer, got -3"},
      {"positive word", positive<int>(), "abc", "must be a positive integer, got abc"},
      {"positive fraction", positive<long>(), "1.5", "must be a positive integer, got 1.5"},
      {"positive empty", positive<long>(), "", "must be a positive integer, got nothing"},
      {"positive over int", positive<int>(), "3000000000", "must be at most 2147483647, got 3000000000"},
      {"positive over int64", positive<long>(), "99999999999999999999",
       "must be at most 9223372036854775807, got 99999999999999999999"},
      {"positive size_t", positive<std::size_t>(), "4", ""},
      {"non-negative 0", non_negative<long>(), "0", ""},
      {"non-negative -1", non_negative<long>(), "-1", "must be a non-negative integer, got -1"},
      {"range inside", integer_in(100, 60000, "an integer from 100 to 60000"), "100", ""},
      {"range below", integer_in(100, 60000, "an integer from 100 to 60000"), "5",
       "must be an integer from 100 to 60000, got 5"},
      {"range above", integer_in(100, 60000, "an integer from 100 to 60000"), "60001",
       "must be an integer from 100 to 60000, got 60001"},
      {"port 1", port_number(), "1", ""},
      {"port 65535", port_number(), "65535", ""},
      {"port 0", port_number(), "0", "must be a port number from 1 to 65535, got 0"},
      {"port 70000", port_number(), "70000", "must be a port number from 1 to 65535, got 70000"},
      {"port word", port_number(), "abc", "must be a port number from 1 to 65535, got abc"},
  };
  for (const auto& c : cases) EXPECT_EQ(verdict(c.check, c.input), c.said) << c.name;
}

TEST(flag_checks, one_of_lists_the_words_and_describes_them_for_the_completion) {
  auto check = one_of({"list", "show"});
  EXPECT_EQ(verdict(check, "show"), "");
  EXPECT_EQ(verdict(check, "bogus"), "must be one of list, show; got 'bogus'");
  EXPECT_EQ(check.get_description(), "{list,show}");
}

// An i18n review: `drover add --name $'bad\xff'` stored raw bytes that `drover job` and the
// dashboard printed as invalid JSON.
TEST(flag_checks, utf8_text_refuses_bytes_that_are_not_utf8) {
  EXPECT_EQ(verdict(utf8_text(), "Größe 名前 ❤️"), "");
  EXPECT_EQ(verdict(utf8_text(),
                    "Gr\xf6\xdf"
                    "e"),
            "must be UTF-8 text (check the terminal's encoding)");
}

// `drover events --from`: what XREAD takes, checked before Redis says "Invalid stream ID".
TEST(flag_checks, stream_id_takes_what_xread_takes) {
  auto check = stream_id();
  for (const char* good :
       {"$", "0", "0-0", "1733400000000", "1733400000000-7", "18446744073709551615-18446744073709551615"}) {
    EXPECT_EQ(verdict(check, good), "") << good;
  }
  const std::string wanted = "must be $, 0, <ms> or <ms>-<seq> (a \"streamId\" printed before), got ";
  for (const char* bad : {"bogus", "-1", "1-", "-", "1-2-3", "1.5", "+1", " 1", "$1", "18446744073709551616", "1-x"}) {
    EXPECT_EQ(verdict(check, bad), wanted + bad) << bad;
  }
  EXPECT_EQ(verdict(check, ""), wanted + "nothing");
}

TEST(flag_checks, cli11_names_the_flag_before_the_phrase) {
  CLI::App app{"t"};
  int concurrency = 1;
  app.add_option("--concurrency", concurrency)->check(positive<int>());
  try {
    app.parse("--concurrency 0");
    FAIL() << "--concurrency 0 was accepted";
  } catch (const CLI::ParseError& e) {
    EXPECT_STREQ(e.what(), "--concurrency: must be a positive integer, got 0");
  }
}

TEST(flag_checks, issue_dashboard_port_an_environment_port_is_checked_and_named) {
  EXPECT_EQ(parse_port("5050", "DASHBOARD_PORT"), 5050);
  for (const char* bad : {"abc", "70000", "0", "-1", ""}) {
    try {
      parse_port(bad, "DASHBOARD_PORT");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const error& e) {
      EXPECT_TRUE(e.is(errc::invalid_argument));
      EXPECT_EQ(std::string(e.what()).rfind("DASHBOARD_PORT: must be a port number from 1 to 65535, got ", 0), 0u)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace drover::cli
