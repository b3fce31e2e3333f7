// request_query.cpp - parses Engine.IO request targets with Boost.URL.
#include "api/socketio/request_query.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace drover::api::socketio {

bool is_engineio_target(std::string_view target) {
  const auto path = target.substr(0, target.find('?'));
  return path.substr(0, engineio_path.size()) == engineio_path;
}

std::optional<request_query> parse_request_query(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  request_query q;
  for (const auto& param : url->params()) {
    // A repeated parameter keeps its first value, as Node's querystring does not:
    // it would make an array, which the reference then refuses. Either way such
    // a request is not one a real client sends.
    std::string* slot = param.key == "EIO"         ? &q.eio
                        : param.key == "transport" ? &q.transport
                        : param.key == "sid"       ? &q.sid
                                                   : nullptr;
    if (slot && slot->empty()) *slot = std::string(param.value);
  }
  return q;
}

}  // namespace drover::api::socketio
