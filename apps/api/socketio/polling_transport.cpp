// polling_transport.cpp - Engine.IO's HTTP long-polling transport.
//
// Each request stands alone: a GET without sid is the handshake; a GET with sid
// waits for packets; a POST with sid delivers packets. The HTTP server owns the
// connection; we only turn a request into a response, so nothing here does I/O
// except waiting on the session for something to send.
#include <boost/asio/use_awaitable.hpp>

#include "api/socketio/engineio_error.hpp"
#include "api/socketio/request_query.hpp"
#include "api/socketio/server.hpp"
#include "api/socketio/server_state.hpp"

namespace drover::api::socketio {
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

response text_response(const request& req, http::status status, std::string body, std::string_view content_type) {
  response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  // Polls must never be answered from a cache, whatever the client's t= does.
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// What a request asks for once its query has been checked.
struct polling_target {
  std::optional<engineio_error> error;
  std::shared_ptr<detail::session> session;  // null for a handshake
};

// Checks in the reference's order: transport, protocol, session, method.
polling_target check(const detail::server_state& st, const request& req) {
  polling_target t;
  if (!st.cors.allows(req[http::field::origin], req[http::field::host])) {
    t.error = engineio_error::forbidden;
    return t;
  }
  const auto query = parse_request_query(req.target());
  if (!query) {
    t.error = engineio_error::bad_request;
    return t;
  }
  if (query->transport != "polling") {
    // A WebSocket handshake must be an upgrade, which handle_polling never sees.
    t.error = query->transport == "websocket" ? engineio_error::bad_request : engineio_error::unknown_transport;
    return t;
  }
  if (query->eio != "4") {
    t.error = engineio_error::unsupported_protocol_version;
    return t;
  }
  if (query->sid.empty()) {
    if (req.method() != http::verb::get) {
      t.error = engineio_error::bad_handshake_method;
    } else if (req.count(http::field::authorization) > 1) {
      // Two sets of credentials are none, as on every route (gatekeeper.cpp).
      t.error = engineio_error::bad_request;
    }
    return t;
  }
  t.session = st.find_session(query->sid);
  if (!t.session) {
    t.error = engineio_error::unknown_sid;
  } else if (t.session->transport() != detail::transport_kind::polling) {
    t.error = engineio_error::bad_request;  // upgraded sessions take no more polls
  } else if (req.method() != http::verb::get && req.method() != http::verb::post) {
    t.error = engineio_error::bad_request;
  }
  return t;
}

// GET: waits until the session has something for the client. Returns std::nullopt
// when this GET overlaps another one, which closes the session: the reference
// treats it as a broken client ("overlap from client"), and the first GET then
// answers "1" so that client reconnects cleanly.
net::awaitable<std::optional<std::string>> poll(detail::server_state& st, std::shared_ptr<detail::session> s) {
  if (s->poll_pending) {
    st.close_session(s, "transport error");
    co_return std::nullopt;
  }
  s->poll_pending = true;
  while (!s->closed() && !s->has_outbox() && !s->upgrading() && s->transport() == detail::transport_kind::polling) {
    co_await s->wait();
  }
  s->poll_pending = false;

  std::vector<std::string> packets;
  if (s->transport() != detail::transport_kind::polling) {
    // Upgraded while we waited: the outbox now belongs to the WebSocket.
    packets.push_back(engineio::encode_packet(engineio::packet_type::noop));
  } else {
    packets = s->take_outbox();
    if (s->closed()) {
      packets.push_back(engineio::encode_packet(engineio::packet_type::close));
    } else if (packets.empty()) {
      packets.push_back(engineio::encode_packet(engineio::packet_type::noop));  // lets an upgrading client pause
    }
  }
  co_return engineio::encode_payload(packets);
}

// POST: hands each packet to the session, in order, until one closes it.
response deliver(detail::server_state& st, const std::shared_ptr<detail::session>& s, const request& req) {
  if (req.body().size() > st.opts.max_payload) {
    // Like the reference: refuse the body, keep the session.
    return text_response(req, http::status::payload_too_large, "", "text/plain; charset=UTF-8");
  }
  auto packets = engineio::decode_payload(req.body());
  if (!packets) {
    st.close_session(s, "parse error");
    return error_response(engineio_error::bad_request, req.version(), req.keep_alive());
  }
  for (auto& p : *packets) {
    if (s->closed()) break;
    st.on_engine_packet(s, std::move(p));
  }
  return text_response(req, http::status::ok, "ok", "text/html");
}

}  // namespace

net::awaitable<http::response<http::string_body>> server::handle_polling(http::request<http::string_body> req,
                                                                         std::string client_address) {
  detail::server_state& st = *state_;
  if (req.method() == http::verb::options) co_return st.cors.preflight(req);

  response res;
  auto target = check(st, req);
  std::optional<response> refusal;
  if (!target.error && !target.session) refusal = st.refuse_handshake(client_address, req.version(), req.keep_alive());
  if (target.error) {
    res = error_response(*target.error, req.version(), req.keep_alive());
  } else if (refusal) {
    res = std::move(*refusal);
  } else if (!target.session) {
    auto s =
        st.open_session(detail::transport_kind::polling, req[http::field::authorization], std::move(client_address));
    res = text_response(req, http::status::ok, engineio::encode_payload(s->take_outbox()), "text/plain; charset=UTF-8");
  } else if (req.method() == http::verb::get) {
    auto body = co_await poll(st, target.session);
    if (body) {
      res = text_response(req, http::status::ok, std::move(*body), "text/plain; charset=UTF-8");
    } else {
      res = error_response(engineio_error::bad_request, req.version(), req.keep_alive());
    }
  } else {
    res = deliver(st, target.session, req);
  }
  st.cors.add_headers(res, req[http::field::origin], req[http::field::host]);
  co_return res;
}

}  // namespace drover::api::socketio
