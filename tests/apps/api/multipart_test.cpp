// multipart_test.cpp - the multipart/form-data reader of the documents route.
#include "api/multipart.hpp"

#include <gtest/gtest.h>

#include <string>

namespace drover::api {
namespace {

TEST(multipart_boundary, from_the_content_type) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=x; boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(multipart_boundary("text/plain"), std::nullopt);
  EXPECT_THROW(multipart_boundary("multipart/form-data"), multipart_error);
  EXPECT_THROW(multipart_boundary("multipart/form-data; boundary="), multipart_error);
}

TEST(parse_multipart, fields_and_files_in_order) {
  std::string body =
      "preamble\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"conversationId\"\r\n\r\n"
      "conv-1\r\n--XyZ\r\n"
      "content-disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".pdf\"\r\n"
      "Content-Type: application/pdf\r\n\r\n"
      "%PDF-\r\n--not the boundary\r\n";
  body += std::string("\0bytes", 6) + "\r\n--XyZ--\r\nepilogue";
  auto parts = parse_multipart(body, "XyZ");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "conversationId");
  EXPECT_FALSE(parts[0].filename);
  EXPECT_EQ(parts[0].body, "conv-1");
  EXPECT_EQ(parts[1].name, "file");
  EXPECT_EQ(parts[1].filename, "a \"q\".pdf");
  EXPECT_EQ(parts[1].content_type, "application/pdf");
  EXPECT_EQ(parts[1].body, std::string_view("%PDF-\r\n--not the boundary\r\n\0bytes", 33));
}

// A documents review: filename* was ignored (a résumé was stored as "upload", and a
// .md whose extension only filename* gave was refused as octet-stream), and a parameter
// without a value lost the name after it.
TEST(filename_parameter, filename_star_wins_and_valueless_parameters_are_passed_over) {
  EXPECT_EQ(filename_parameter("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"), "r\xC3\xA9sum\xC3\xA9.pdf");
  EXPECT_EQ(filename_parameter("attachment; filename=\"resume.pdf\"; filename*=utf-8'en'r%C3%A9sum%C3%A9.pdf"),
            "r\xC3\xA9sum\xC3\xA9.pdf");
  EXPECT_EQ(filename_parameter("attachment; filename*=iso-8859-1''caf%E9.txt"), "caf\xC3\xA9.txt");
  // Malformed, another charset, or not UTF-8 once decoded: the plain filename.
  EXPECT_EQ(filename_parameter("attachment; filename=\"a.txt\"; filename*=UTF-8''bad%zz"), "a.txt");
  EXPECT_EQ(filename_parameter("attachment; filename=\"a.txt\"; filename*=koi8-r''x"), "a.txt");
  EXPECT_EQ(filename_parameter("attachment; filename=\"a.txt\"; filename*=UTF-8''%FF"), "a.txt");
  EXPECT_EQ(filename_parameter("attachment; creation-date; filename=\"b.pdf\""), "b.pdf");
  EXPECT_EQ(filename_parameter("attachment; size; x=1"), std::nullopt);
  EXPECT_EQ(filename_parameter("attachment"), std::nullopt);
}

// One pass over the line: a search for '=' from each ';' read a line of ';' in quadratic
// time, and 8 MB of them (the size of this one) would have held the test for hours.
TEST(filename_parameter, a_line_of_empty_parameters_is_read_in_one_pass) {
  std::string line = "form-data";
  for (int i = 0; i < 4'000'000; ++i) line += "; ";
  EXPECT_EQ(header_parameter(line + "x=1", "filename"), std::nullopt);
  EXPECT_EQ(filename_parameter(line + "filename=\"c.txt\""), "c.txt");
}

TEST(parse_multipart, malformed_bodies_are_refused) {
  EXPECT_THROW(parse_multipart("no delimiter at all", "b"), multipart_error);
  EXPECT_THROW(parse_multipart("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end", "b"),
               multipart_error);
  EXPECT_THROW(parse_multipart("--b\r\nContent-Disposition: form-data; name=\"x\"", "b"), multipart_error);
  EXPECT_THROW(parse_multipart("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "b"), multipart_error);
  EXPECT_THROW(parse_multipart("--bjunk", "b"), multipart_error);
  EXPECT_TRUE(parse_multipart("--b--\r\n", "b").empty());
}

}  // namespace
}  // namespace drover::api
