// request_query_test.cpp - Engine.IO request targets.
#include "api/socketio/request_query.hpp"

#include <gtest/gtest.h>

namespace drover::api::socketio {
namespace {

TEST(request_query, recognises_targets_under_the_engineio_path) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"/socket.io/?EIO=4&transport=polling", true},
      {"/socket.io/", true},
      {"/socket.io/?", true},
      {"/socket.io/extra?EIO=4", true},
      {"/socket.io", false},
      {"/socket.io?EIO=4", false},
      {"/socket.iox/", false},
      {"/api/jobs?x=/socket.io/", false},
      {"/", false},
      {"", false},
  };
  for (const auto& [target, expected] : cases) EXPECT_EQ(is_engineio_target(target), expected) << target;
}

TEST(request_query, reads_eio_transport_and_sid) {
  const auto q = parse_request_query("/socket.io/?EIO=4&transport=polling&t=PXk2a1b&sid=abc_DEF-123");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->eio, "4");
  EXPECT_EQ(q->transport, "polling");
  EXPECT_EQ(q->sid, "abc_DEF-123");
}

TEST(request_query, leaves_missing_parameters_empty) {
  const auto q = parse_request_query("/socket.io/");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->eio, "");
  EXPECT_EQ(q->transport, "");
  EXPECT_EQ(q->sid, "");
}

TEST(request_query, percent_decodes_and_keeps_the_first_of_repeated_parameters) {
  const auto q = parse_request_query("/socket.io/?EIO=4&EIO=3&transport=web%73ocket&sid=a%2Bb");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->eio, "4");
  EXPECT_EQ(q->transport, "websocket");
  EXPECT_EQ(q->sid, "a+b");
}

TEST(request_query, refuses_targets_that_are_not_origin_form) {
  for (const std::string target : {"socket.io/?EIO=4", "http://host/socket.io/", "/socket.io/?a=%zz", "/a b"}) {
    EXPECT_FALSE(parse_request_query(target)) << target;
  }
}

}  // namespace
}  // namespace drover::api::socketio
