// transport.hpp - the byte stream under one Redis connection: plain TCP or TLS.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "drover/redis_options.hpp"

namespace drover::redis {

// The TLS settings of `tls` as an OpenSSL context, made once per connection and shared
// by its streams: the CA (or the system's), the client certificate and key, TLS 1.2 at
// least, peer verification unless turned off. Throws std::runtime_error naming the file
// and OpenSSL's reason when one cannot be read.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const redis_tls_options& tls);

// What a connection compares before it reconnects, to make its context again when a file
// of `tls` changed: each file's size and time of last change (a CA bundle or a client
// certificate rotated in place was never read again, and the apps could not reconnect
// until restarted: a cluster review). A file that cannot be read counts as changed.
std::string tls_files_stamp(const redis_tls_options& tls);

// One connected stream, plain or TLS; a reconnect makes a new one, so that reads and
// writes still pending on the old one (they hold a shared_ptr to it) finish on a live
// object. The choice is a variant visited once per read or write: no virtual call, and
// the plain path is the socket itself.
// Thread safety: none; use it on the executor of its connection.
class transport {
 public:
  using tcp = boost::asio::ip::tcp;
  using tls_stream = boost::asio::ssl::stream<tcp::socket>;

  // Plain TCP when `tls` is null.
  transport(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls);

  // The TCP socket to connect (the lowest layer, under TLS too).
  tcp::socket& socket();
  bool is_tls() const { return std::holds_alternative<tls_stream>(stream_); }

  // After the TCP connect: the TLS handshake, with SNI and the host name (or IP
  // address) checked against the certificate unless tls.verify is false; nothing for
  // plain TCP. `host` is the name connected to; tls.server_name overrides it. Throws
  // std::runtime_error saying what failed: the certificate and why ("certificate verify
  // failed: hostname mismatch"), or the handshake and OpenSSL's reason.
  // `setting` is where the name is set, for the refusal's hint (a pointer to static text:
  // no default and no temporary, the GCC 12 rules of docs/contributing.md).
  boost::asio::awaitable<void> handshake(const redis_tls_options& tls, const std::string& host, const char* setting);

  // Closes the socket: pending operations complete with an error.
  void close();

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return std::visit([&](auto& s) { return s.async_read_some(buffers, std::forward<Token>(token)); }, stream_);
  }
  template <class Buffers, class Token>
  auto async_write(const Buffers& buffers, Token&& token) {
    return std::visit([&](auto& s) { return boost::asio::async_write(s, buffers, std::forward<Token>(token)); },
                      stream_);
  }

 private:
  std::shared_ptr<boost::asio::ssl::context> tls_;  // kept alive as long as the stream
  std::variant<tcp::socket, tls_stream> stream_;
};

// A read or write error as text: "connection closed by server" for an orderly close
// (EOF, or a TLS peer that closed without close_notify), else OpenSSL's or the system's
// reason.
std::string describe_stream_error(const boost::system::error_code& ec);

// What to add to a read or write error on a TLS session that ended before the server said
// anything: a server that wants a client certificate sends its alert after the handshake
// and closes, and a reset may reach us before the alert does (the test of it failed in CI
// one run in many, with only "Connection reset by peer"). "" when that cannot be the cause.
std::string missing_client_certificate_hint(const boost::system::error_code& ec, bool tls, bool heard);

}  // namespace drover::redis
