// http_url.hpp - the one check of a URL the apps are told to send to (the model server,
// the alert receiver, the API's own address).
#pragma once

#include <boost/url/url_view.hpp>

#include <optional>
#include <string_view>

namespace drover::app {

// `text` parsed when it is an absolute http or https URL (the scheme in any case) with a
// host, no fragment and, when it names a port, one from 1 to 65535; std::nullopt
// otherwise. A port of 0 or 99999 passed the start's check and then failed every call (a
// configuration review).
std::optional<boost::urls::url_view> http_url(std::string_view text);

// Whether a URL's port text is a port from 1 to 65535.
bool usable_port(std::string_view port);

}  // namespace drover::app
