// job_completed_receiver.cpp - PUBLIC_URL's one check, shared by the API and the Workers app.
#include "drover_app/job_completed_receiver.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <stdexcept>

#include "drover_app/http_url.hpp"

namespace drover::app {

boost::urls::url_view parse_public_url(std::string_view value) {
  // What the API's address must not have: the receiver's path is appended to it, so a query
  // or a fragment would come before that path (every answer went to
  // "...?x=1/api/webhooks/job-completed" and was refused), user info would go to the API
  // with each delivery, and a port beyond 1-65535 was taken by the API and refused by the
  // Workers app (a configuration review).
  const auto parsed = boost::urls::parse_uri(value);
  const char* wrong = !parsed                                              ? nullptr
                      : parsed->has_query()                                ? "a query ('?...')"
                      : parsed->has_fragment()                             ? "a fragment ('#...')"
                      : parsed->has_userinfo()                             ? "user info ('user@')"
                      : parsed->has_port() && !usable_port(parsed->port()) ? "a port outside 1-65535"
                                                                           : nullptr;
  if (wrong) {
    throw std::invalid_argument(
        fmt::format("PUBLIC_URL has {}: '{}' (give the API's address alone, e.g. https://api.example.com or "
                    "http://10.0.0.5:5000/prefix; the receiver's path is added to it)",
                    wrong, value));
  }
  auto u = http_url(value);
  if (!u) {
    throw std::invalid_argument(
        fmt::format("PUBLIC_URL is not an http(s) URL: '{}' (the API's address as the Workers app reaches it, e.g. "
                    "https://api.example.com; set the same value for both apps)",
                    value));
  }
  return *u;
}

}  // namespace drover::app
