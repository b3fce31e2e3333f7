// job_completed_receiver_test.cpp - the receiver's path below PUBLIC_URL and PUBLIC_URL's one check.
#include "drover_app/job_completed_receiver.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace drover::app;

TEST(job_completed_receiver, the_path_goes_below_the_base_without_its_trailing_slashes) {
  EXPECT_EQ(job_completed_url("http://127.0.0.1:5000"), "http://127.0.0.1:5000/api/webhooks/job-completed");
  EXPECT_EQ(job_completed_url("https://chat.example.com/drover//"),
            "https://chat.example.com/drover/api/webhooks/job-completed");
}

TEST(job_completed_receiver, public_url_must_be_an_http_url_with_a_host) {
  const std::string behind_proxy = "https://chat.example.com:8443/drover";
  const auto u = parse_public_url(behind_proxy);
  EXPECT_EQ(u.encoded_host(), "chat.example.com");
  EXPECT_EQ(u.port(), "8443");
  EXPECT_EQ(u.encoded_path(), "/drover");
  EXPECT_NO_THROW(parse_public_url("http://[::1]:5000"));
  EXPECT_NO_THROW(parse_public_url("HTTPS://chat.example.com"));  // schemes ignore case

  for (const char* refused : {"chat.example.com", "not-a-url", "ftp://chat.example.com", "file:///tmp/x", "http://",
                              "http:///path", "https:chat.example.com"}) {
    try {
      parse_public_url(refused);
      ADD_FAILURE() << "accepted PUBLIC_URL " << refused;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("PUBLIC_URL is not an http(s) URL: '" + std::string(refused) + "'", 0), 0u)
          << e.what();
    }
  }
}

// The receiver's path is appended: a query put it after "?x=1" (every answer refused 405).
TEST(job_completed_receiver, public_url_has_no_query_fragment_user_info_or_impossible_port) {
  for (const auto& [refused, what] :
       std::initializer_list<std::pair<const char*, const char*>>{{"http://127.0.0.1:5000?x=1", "a query"},
                                                                  {"http://127.0.0.1:5000/#top", "a fragment"},
                                                                  {"http://u:p@127.0.0.1:5000", "user info"},
                                                                  {"http://127.0.0.1:99999", "a port outside 1-65535"},
                                                                  {"http://127.0.0.1:0", "a port outside 1-65535"},
                                                                  {"http://127.0.0.1:", "a port outside 1-65535"}}) {
    try {
      parse_public_url(refused);
      ADD_FAILURE() << "accepted PUBLIC_URL " << refused;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("PUBLIC_URL has ") + what), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(parse_public_url("http://127.0.0.1:65535/a/b"));
}
