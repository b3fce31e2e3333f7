// command_test.cpp - the RESP bytes of a command: an array of bulk strings.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "redis/command.hpp"

namespace drover::redis {
namespace {

struct resp_case {
  const char* what;
  command cmd;
  std::string expected;
};

TEST(command, encode_writes_resp_arrays_of_bulk_strings) {
  using namespace std::string_literals;
  const resp_case cases[] = {
      {"GET", command{"GET", "k"}, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
      {"PING", command{"PING"}, "*1\r\n$4\r\nPING\r\n"},
      {"empty arg", command{"SET", "k", ""}, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"},
      // Binary-safe: the length prefix carries the size, nothing is escaped.
      {"NUL", command{"SET", "k", std::string_view("a\0b", 3)}, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n"s},
      {"CRLF", command{"SET", "k", "x\r\ny"}, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nx\r\ny\r\n"},
      {"binary", command{"SET", "k", "\xff\x80"}, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xff\x80\r\n"},
      {"spaces", command{"SET", "a key", "a value"}, "*3\r\n$3\r\nSET\r\n$5\r\na key\r\n$7\r\na value\r\n"},
      {"no args", command{}, "*0\r\n"},
  };
  for (const auto& c : cases) {
    std::string out;
    encode(c.cmd, out);
    EXPECT_EQ(out, c.expected) << c.what;
  }
}

TEST(command, encode_handles_long_arguments) {
  const std::string big(1000, 'x');
  command cmd{"SET", "k", big};
  std::string out;
  encode(cmd, out);
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n" + big + "\r\n");
}

TEST(command, push_integers_as_decimal_text) {
  command cmd;
  cmd.push("ZADD").push(std::string("z")).push(std::int64_t{7355937984958464}).push(-5).push(0);
  std::string out;
  encode(cmd, out);
  EXPECT_EQ(out, "*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$16\r\n7355937984958464\r\n$2\r\n-5\r\n$1\r\n0\r\n");
  EXPECT_EQ(cmd.name(), "ZADD");
  ASSERT_EQ(cmd.args().size(), 5u);
  EXPECT_EQ(cmd.args()[2], "7355937984958464");
}

TEST(command, encode_appends) {
  std::string out = "prefix";
  encode(command{"PING"}, out);
  encode(command{"ECHO", "hi"}, out);
  EXPECT_EQ(out, "prefix*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
}

TEST(command, name_of_empty_command_is_empty) {
  EXPECT_EQ(command{}.name(), "");
  EXPECT_EQ((command{"HGETALL", "k"}.name()), "HGETALL");
}

}  // namespace
}  // namespace drover::redis
