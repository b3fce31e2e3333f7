// job_completed_receiver.cpp - PUBLIC_URL's one check, shared by the API and the Workers app.
#include "drover_app/job_completed_receiver.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <stdexcept>

namespace drover::app {

boost::urls::url_view parse_public_url(std::string_view value) {
  auto u = boost::urls::parse_absolute_uri(value);
  // scheme_id: a scheme is case-insensitive (HTTPS://api.example.com is one).
  if (!u || !u->has_authority() || u->encoded_host().empty() ||
      (u->scheme_id() != boost::urls::scheme::http && u->scheme_id() != boost::urls::scheme::https)) {
    throw std::invalid_argument(
        fmt::format("PUBLIC_URL is not an http(s) URL: '{}' (the API's address as the Workers app reaches it, e.g. "
                    "https://api.example.com; set the same value for both apps)",
                    value));
  }
  return *u;
}

}  // namespace drover::app
