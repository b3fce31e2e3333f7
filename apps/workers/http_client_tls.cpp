// http_client_tls.cpp - the TLS half of http_client.cpp's fetch: OpenSSL through Beast's
// ssl_stream, certificates verified against the system's store.
#include "workers/http_exchange.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

namespace drover::workers::detail {

namespace ssl = net::ssl;

namespace {

ssl::context& tls_context() {
  static ssl::context ctx = [] {
    ssl::context c(ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(ssl::verify_peer);
    return c;
  }();
  return ctx;
}

}  // namespace

net::awaitable<http_response> fetch_tls(net::any_io_executor ex, const target& t,
                                        const std::vector<net::ip::tcp::endpoint>& endpoints, http_request& req,
                                        std::optional<clock::time_point> deadline,
                                        const std::function<void(std::string_view)>& on_data) {
  boost::system::error_code ec;
  beast::ssl_stream<beast::tcp_stream> stream(ex, tls_context());
  if (!SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str())) {
    throw transport_error("cannot set the TLS server name");
  }
  stream.set_verify_callback(ssl::host_name_verification(t.host));
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(budget(req.connect_timeout, deadline));
  co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec)
    throw transport_error(fmt::format("cannot connect to {}:{}: {}", t.host, t.port, ec.message()),
                          ec == beast::error::timeout);
  co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec)
    throw transport_error(fmt::format("TLS handshake with {} failed: {}", t.host, ec.message()),
                          ec == beast::error::timeout);
  auto res = co_await exchange(stream, tcp, t, req, deadline, on_data);
  co_return res;
}

}  // namespace drover::workers::detail
