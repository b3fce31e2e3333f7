// job_completed_receiver.hpp - where the API receives the Workers app's job-completed callbacks.
#pragma once

#include <boost/url/url_view.hpp>

#include <string>
#include <string_view>

namespace drover::app {

// The API routes it and the Workers app recognises deliveries to it (they get the
// receiver's delivery policy), so both must name the same path: this one, below the path
// of PUBLIC_URL.
inline constexpr std::string_view job_completed_path = "/api/webhooks/job-completed";

// The receiver's URL below `base` (PUBLIC_URL, or http://127.0.0.1:PORT): `base` without
// its trailing slashes, then job_completed_path.
inline std::string job_completed_url(std::string_view base) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(job_completed_path);
}

// PUBLIC_URL as both apps must read it: an absolute http(s) URL with a host. The two
// apps check it the same way so that neither starts with a value the other refuses (an
// API that took one queued every answer's delivery to an address that could never be
// reached). The view refers to `value`. Throws std::invalid_argument naming the setting.
boost::urls::url_view parse_public_url(std::string_view value);

}  // namespace drover::app
