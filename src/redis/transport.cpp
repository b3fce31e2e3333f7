// transport.cpp - making the TLS context and stream, the handshake and its errors.
#include "redis/transport.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

namespace drover::redis {

namespace {

// Whether a PEM key file holds an encrypted key (PKCS#8 or OpenSSL's traditional form).
bool key_is_encrypted(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  for (int i = 0; i < 5 && std::getline(in, line); ++i) {
    if (line.find("ENCRYPTED") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const redis_tls_options& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  auto must = [&ec](const char* what, const std::string& file) {
    if (ec) throw std::runtime_error(fmt::format("TLS: cannot use {} '{}': {}", what, file, ec.message()));
  };
  if (tls.verify) {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (tls.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
      must("the system's CA store", "");
    } else {
      ctx->load_verify_file(tls.ca_file, ec);
      must("CA file", tls.ca_file);
    }
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
    spdlog::warn(
        "redis: TLS certificate verification is off (tls_verify=no, --redis-tls-insecure or REDIS_TLS_INSECURE): "
        "anyone "
        "on the path can read and "
        "change what drover sends; for development only");
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    must("client certificate file", tls.cert_file);
    // No passphrase: OpenSSL would otherwise ask for one on the terminal (and without one
    // fail with "processing error (UI routines)").
    ctx->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec && key_is_encrypted(tls.key_file)) {
      throw std::runtime_error(
          fmt::format("TLS: the client key file '{}' is encrypted with a passphrase; drover needs it unencrypted (e.g. "
                      "`openssl pkey -in {} -out plain.key`, kept readable by this user only)",
                      tls.key_file, tls.key_file));
    }
    must("client key file", tls.key_file);
  }
  return ctx;
}

std::string tls_files_stamp(const redis_tls_options& tls) {
  std::string stamp;
  for (const auto* file : {&tls.ca_file, &tls.cert_file, &tls.key_file}) {
    if (file->empty()) continue;
    std::error_code size_ec, time_ec;
    const auto size = std::filesystem::file_size(*file, size_ec);
    const auto changed = std::filesystem::last_write_time(*file, time_ec);
    if (size_ec || time_ec) return "unreadable";  // never equal to a stamp that was read
    stamp += fmt::format("{}:{}:{};", *file, size, changed.time_since_epoch().count());
  }
  return stamp;
}

transport::transport(net::any_io_executor ex, std::shared_ptr<ssl::context> tls)
    : tls_(std::move(tls)), stream_(tcp::socket(ex)) {
  if (tls_) stream_.emplace<tls_stream>(ex, *tls_);
}

transport::tcp::socket& transport::socket() {
  if (auto* s = std::get_if<tls_stream>(&stream_)) return s->next_layer();
  return std::get<tcp::socket>(stream_);
}

net::awaitable<void> transport::handshake(const redis_tls_options& tls, const std::string& host, const char* setting) {
  auto* s = std::get_if<tls_stream>(&stream_);
  if (!s) co_return;
  SSL* handle = s->native_handle();
  const std::string name = tls.server_name.empty() ? host : tls.server_name;
  boost::system::error_code not_ip;
  net::ip::make_address(name, not_ip);
  // SNI carries names only, never addresses (RFC 6066).
  if (not_ip) SSL_set_tlsext_host_name(handle, name.c_str());
  if (tls.verify) {
    // OpenSSL's own check, so that a mismatch is reported as one (X509_V_ERR_HOSTNAME_MISMATCH).
    const int set = not_ip ? SSL_set1_host(handle, name.c_str())
                           : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), name.c_str());
    if (set != 1) throw std::runtime_error(fmt::format("TLS: cannot verify the name '{}'", name));
  }
  boost::system::error_code ec;
  co_await s->async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (!ec) co_return;
  const long verified = SSL_get_verify_result(handle);
  if (tls.verify && verified != X509_V_OK) {
    // Sentinel and a Cluster name their servers as they announce themselves, often by
    // address: a certificate for a host name then fails at the first failover (a platform
    // review's apps stayed down until restarted), so the refusal says what to set.
    const bool mismatch = verified == X509_V_ERR_HOSTNAME_MISMATCH || verified == X509_V_ERR_IP_ADDRESS_MISMATCH;
    const std::string hint = mismatch && tls.server_name.empty()
                                 ? fmt::format(
                                       "; the certificate does not name it: set the name it holds as the TLS "
                                       "server name ({}), or give it this one",
                                       setting)
                                 : "";
    throw std::runtime_error(fmt::format(
        "TLS certificate verify failed: {} (expected name '{}'{}){}", X509_verify_cert_error_string(verified), name,
        tls.ca_file.empty() ? ", CA: the system's" : ", CA file: " + tls.ca_file, hint));
  }
  throw std::runtime_error("TLS handshake failed: " + describe_stream_error(ec));
}

void transport::close() {
  boost::system::error_code ignored;
  socket().close(ignored);
}

std::string describe_stream_error(const boost::system::error_code& ec) {
  if (ec == net::error::eof || ec == ssl::error::stream_truncated) return "connection closed by server";
  // An alert the server sent (a client certificate it wanted, a protocol it refused).
  if (ec.category() == net::error::get_ssl_category()) {
    auto text = "TLS: " + ec.message();
    // The server's words for our certificate: say whose CA is meant (an operator read
    // "unknown ca" as their own REDIS_TLS_CA_FILE being wrong).
    if (text.find("alert unknown ca") != std::string::npos || text.find("alert bad certificate") != std::string::npos) {
      text +=
          " (the server does not accept our client certificate, REDIS_TLS_CERT_FILE: it is not signed by a CA "
          "the server trusts, tls-ca-cert-file)";
    } else if (text.find("alert certificate required") != std::string::npos) {
      text += " (the server wants a client certificate: give REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE)";
    }
    return text;
  }
  return ec.message();
}

std::string missing_client_certificate_hint(const boost::system::error_code& ec, bool tls, bool heard) {
  if (!tls || heard) return "";
  const bool ended = ec == net::error::connection_reset || ec == net::error::eof ||
                     ec == ssl::error::stream_truncated || ec == net::error::broken_pipe;
  if (!ended) return "";
  return " (the TLS session ended before any reply: if the server wants a client certificate, give "
         "REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE)";
}

}  // namespace drover::redis
